import SieveWire
import XCTest

/// Pins the bytes themselves, so that both ends agree with docs/protocol.md and
/// not merely with each other.
final class WireLayoutTests: XCTestCase {
    func testConstantsAreTheProtocolOnes() {
        XCTAssertEqual(Wire.magic, 0x4753)
        XCTAssertEqual(Wire.protocolVersion, 2)
        XCTAssertEqual(Wire.headerLength, 12)
        XCTAssertEqual(Wire.defaultMaximumFrameLength, 67_108_864)
    }

    func testFrameHeaderIsLengthMagicVersionTypeRequestIDBigEndian() {
        let bytes = Frame(type: 0xAB, requestID: 0x0102_0304, payload: [9, 8, 7], version: 5).encoded()
        XCTAssertEqual(bytes, [0, 0, 0, 11, 0x47, 0x53, 5, 0xAB, 1, 2, 3, 4, 9, 8, 7])
    }

    func testHelloPayloadIsStringsAndU16InFieldOrder() {
        let hello = Message.hello(Hello(workerName: "w", productVersion: "é", slots: 0x0203, dataPath: ""))
        XCTAssertEqual(
            hello.encodePayload(),
            [0, 0, 0, 1, 0x77, 0, 0, 0, 2, 0xC3, 0xA9, 2, 3, 0, 0, 0, 0])
    }

    func testArrayDoublesAreLittleEndianBitPatternsBehindABigEndianU32Count() {
        let reference = Message.reference(Reference(epoch: 0x0A0B_0C0D, vector: [-0.0, 1.0]))
        XCTAssertEqual(
            reference.encodePayload(),
            [
                0x0A, 0x0B, 0x0C, 0x0D, 0, 0, 0, 2,
                0, 0, 0, 0, 0, 0, 0, 0x80,
                0, 0, 0, 0, 0, 0, 0xF0, 0x3F,
            ])
    }

    func testAssignPayloadHasFieldsAtTheirDocumentedOffsets() {
        let assign = Message.assign(
            Assignment(epoch: 1, phase: .score, shard: 2, attempt: 3, rowStart: 0x0102_0304_0506_0708, rowCount: 5))
        XCTAssertEqual(
            assign.encodePayload(),
            [0, 0, 0, 1, 2, 0, 0, 0, 2, 0, 0, 0, 3, 1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 5])
    }

    func testScoresColumnsAreAU8CountOfStrings() {
        let scores = Message.scores(
            ShardScores(epoch: 0, shard: 0, attempt: 0, rowStart: 0, rowCount: 1, columns: ["s"], values: [2.0]))
        let payload = scores.encodePayload()
        XCTAssertEqual(payload.count, 4 + 4 + 4 + 8 + 4 + 1 + 5 + 4 + 8)
        XCTAssertEqual(Array(payload[24...29]), [1, 0, 0, 0, 1, 0x73])
        XCTAssertEqual(Array(payload[30...]), [0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0x40])
    }

    func testWireErrorCodesAreNumberedOneToEightInOrder() {
        let codes: [WireError.Code] = [
            .frameTooLarge, .frameTooShort, .badMagic, .unknownMessageType, .unsupportedVersion, .malformedField,
            .trailingBytes, .authenticationFailed,
        ]
        XCTAssertEqual(codes.map { WireError(code: $0, message: "").wireCode }, Array(1...8))
        XCTAssertEqual(WireError.Code.allCases, codes)
    }
}
