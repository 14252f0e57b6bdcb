import SieveWire
import XCTest

final class MessageRoundTripTests: XCTestCase {
    func testSamplesCoverEveryMessageType() {
        let covered = Set(SampleMessages.all.map(\.type))
        XCTAssertEqual(covered, Set(MessageType.allCases))
        XCTAssertEqual(SampleMessages.examples.map(\.message.type), MessageType.allCases)
    }

    func testEveryMessageSurvivesEncodeThenDecode() throws {
        for (index, message) in SampleMessages.all.enumerated() {
            let decoded = try Message.decode(message.frame(requestID: UInt32(index)))
            XCTAssertEqual(decoded, message, "sample \(index) (\(message.type.name))")
        }
    }

    func testEveryMessageSurvivesTheWholeByteStreamPath() throws {
        var decoder = FrameDecoder()
        for (index, message) in SampleMessages.all.enumerated() {
            decoder.append(message.encoded(requestID: UInt32(index) + 1000))
        }
        for (index, message) in SampleMessages.all.enumerated() {
            let frame = try XCTUnwrap(decoder.next())
            XCTAssertEqual(frame.requestID, UInt32(index) + 1000)
            XCTAssertEqual(try Message.decode(frame), message)
        }
        XCTAssertNil(try decoder.next())
    }

    func testEncodedEqualsFrameEncoded() {
        for message in SampleMessages.all {
            XCTAssertEqual(message.encoded(requestID: 77), message.frame(requestID: 77).encoded())
        }
    }

    func testFrameCarriesTypeVersionAndPayload() {
        for message in SampleMessages.all {
            let frame = message.frame(requestID: 5)
            XCTAssertEqual(frame.type, message.type.rawValue)
            XCTAssertEqual(frame.version, Wire.protocolVersion)
            XCTAssertEqual(frame.requestID, 5)
            XCTAssertEqual(frame.payload, message.encodePayload())
        }
    }

    func testDoublesKeepTheirExactBitPatterns() throws {
        let reference = Reference(epoch: 0, vector: SampleMessages.awkwardDoubles)
        guard case .reference(let decoded) = try Message.decode(Message.reference(reference).frame()) else {
            return XCTFail("not a reference")
        }
        XCTAssertEqual(decoded.vector.map(\.bitPattern), SampleMessages.awkwardDoubles.map(\.bitPattern))
        XCTAssertEqual(decoded.vector[0].sign, .minus, "-0.0 must stay negative")
    }

    func testLargeArraysRoundTrip() throws {
        let values = (0..<300_000).map { Double($0) * 0.001 - 17 }
        let rows = (0..<300_000).map { UInt64($0) &* 0x9E37_79B9_7F4A_7C15 }
        let message = Message.curriculum(CurriculumMessage(epoch: 9, rows: rows, scores: values))
        XCTAssertEqual(try Message.decode(message.frame()), message)
    }

    func testRejectCodeInterpretsKnownCodesOnly() {
        XCTAssertEqual(Reject(code: .tooManyConnections, reason: "").code, 5)
        XCTAssertEqual(Reject(code: 4, reason: "").rejectCode, .dataMismatch)
        XCTAssertNil(Reject(code: 999, reason: "").rejectCode)
        XCTAssertEqual(RejectCode.allCases.map(\.rawValue), [1, 2, 3, 4, 5, 6])
    }

    func testErrorMessageFromWireErrorCarriesItsCodeAndText() {
        let error = WireError.badMagic(0x1234)
        let message = ErrorMessage(error)
        XCTAssertEqual(message.code, 3)
        XCTAssertEqual(message.message, error.message)
        XCTAssertEqual(message.wireErrorCode, .badMagic)
        XCTAssertNil(ErrorMessage(code: 100, message: "").wireErrorCode)
    }

    func testMessageTypeNumbersAreTheProtocolOnes() {
        XCTAssertEqual(MessageType.allCases.map(\.rawValue), Array(1...21))
        XCTAssertEqual(MessageType.partialSum.name, "partialSum")
        XCTAssertEqual(Phase.validationSum.rawValue, 1)
        XCTAssertEqual(Phase.score.rawValue, 2)
    }
}
