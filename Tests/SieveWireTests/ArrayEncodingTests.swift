@testable import SieveWire
import XCTest

/// The elements of `f64` and `u64` arrays are little-endian on the wire (protocol version 2),
/// everything else big-endian. This host is little-endian, so the big-endian host's path (a
/// byte swap per element) is run here explicitly, through `hostIsLittleEndian: false`.
final class ArrayEncodingTests: XCTestCase {
    func testF64ArrayElementsAreLittleEndianBehindABigEndianCount() {
        let reference = Message.reference(Reference(epoch: 0x0A0B_0C0D, vector: [-0.0, 1.0, 0.5]))
        XCTAssertEqual(
            reference.encodePayload(),
            [
                0x0A, 0x0B, 0x0C, 0x0D, 0, 0, 0, 3,
                0, 0, 0, 0, 0, 0, 0, 0x80,
                0, 0, 0, 0, 0, 0, 0xF0, 0x3F,
                0, 0, 0, 0, 0, 0, 0xE0, 0x3F,
            ])
    }

    func testU64ArrayElementsAreLittleEndianAndLoneF64IsBigEndian() {
        let picks = Message.partPicks(PartPicks(epoch: 1, part: 2, attempt: 3, picks: [0x0102_0304_0506_0708], value: 2.75))
        XCTAssertEqual(
            picks.encodePayload(),
            [
                0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3,
                0, 0, 0, 1, 8, 7, 6, 5, 4, 3, 2, 1,
                0x40, 0x06, 0, 0, 0, 0, 0, 0,
            ])
    }

    func testSwappingCopiesWholeWordsReversedAtAnyAlignment() {
        let source: [UInt8] = [0xFF] + Array(1...16)
        var target = [UInt8](repeating: 0xEE, count: 19)
        source.withUnsafeBytes { from in
            target.withUnsafeMutableBytes { to in
                WireArrays.copyWordsSwappingBytes(
                    from: UnsafeRawBufferPointer(rebasing: from[1...]),
                    to: UnsafeMutableRawBufferPointer(rebasing: to[3...]))
            }
        }
        XCTAssertEqual(target, [0xEE, 0xEE, 0xEE, 8, 7, 6, 5, 4, 3, 2, 1, 16, 15, 14, 13, 12, 11, 10, 9])
    }

    /// A big-endian host holds `x` in memory as the bytes of `x.bitPattern.bigEndian`; on this
    /// host that memory reads back as `Double(bitPattern: x.bitPattern.byteSwapped)`. Writing
    /// such values through the big-endian path must give the bytes the little-endian path gives
    /// for `x`, and reading the wire through the big-endian path must give such values back.
    func testBigEndianHostPathWritesAndReadsTheSameWireBytes() throws {
        let doubles = SampleMessages.awkwardDoubles + [1.0, -2.5, 1e300]
        let rows: [UInt64] = [0, 1, 0x0102_0304_0506_0708, .max]
        let asBigEndianHostHolds = doubles.map { Double(bitPattern: $0.bitPattern.byteSwapped) }
        let rowsAsBigEndianHostHolds = rows.map(\.byteSwapped)

        let native = write(hostIsLittleEndian: true) { $0.f64Array(doubles); $0.u64Array(rows) }
        let swapped = write(hostIsLittleEndian: false) { $0.f64Array(asBigEndianHostHolds); $0.u64Array(rowsAsBigEndianHostHolds) }
        XCTAssertEqual(swapped, native)
        XCTAssertEqual(Array(native[4..<12]), withUnsafeBytes(of: doubles[0].bitPattern.littleEndian) { Array($0) })

        try native.withUnsafeBytes { raw in
            var reader = ByteReader(raw, messageType: .reference)
            let readDoubles = try reader.f64Array("d", hostIsLittleEndian: false)
            let readRows = try reader.u64Array("r", hostIsLittleEndian: false)
            try reader.finish()
            XCTAssertEqual(readDoubles.map(\.bitPattern), asBigEndianHostHolds.map(\.bitPattern))
            XCTAssertEqual(readRows, rowsAsBigEndianHostHolds)
        }
        try native.withUnsafeBytes { raw in
            var reader = ByteReader(raw, messageType: .reference)
            XCTAssertEqual(try reader.f64Array("d").map(\.bitPattern), doubles.map(\.bitPattern))
            XCTAssertEqual(try reader.u64Array("r"), rows)
        }
    }

    func testEmptyArraysAreACountOfZeroOnBothPaths() throws {
        for little in [true, false] {
            let bytes = write(hostIsLittleEndian: little) { $0.f64Array([]); $0.u64Array([]) }
            XCTAssertEqual(bytes, [0, 0, 0, 0, 0, 0, 0, 0])
            try bytes.withUnsafeBytes { raw in
                var reader = ByteReader(raw, messageType: .reference)
                XCTAssertEqual(try reader.f64Array("d", hostIsLittleEndian: little), [])
                XCTAssertEqual(try reader.u64Array("r", hostIsLittleEndian: little), [])
            }
        }
    }

    func testLargeScoresSurviveTheStreamInOddChunksBitForBit() throws {
        var state: UInt64 = 1
        let values = (0..<(3 * 40_000)).map { _ -> Double in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Double(bitPattern: state)  // every bit pattern, NaNs with payloads included
        }
        let message = Message.scores(ShardScores(epoch: 2, shard: 9, attempt: 1, rowStart: 5, rowCount: 40_000,
                                                 columns: ["score", "a", "b"], values: values))
        let bytes = message.encoded(requestID: 4) + message.encoded(requestID: 5)
        var decoder = FrameDecoder()
        var decoded: [(Message, UInt32)] = []
        var offset = 0, chunk = 1
        while offset < bytes.count {
            let end = min(bytes.count, offset + chunk)
            decoder.append(Array(bytes[offset..<end]))
            while let next = try decoder.nextMessage() { decoded.append(next) }
            offset = end
            chunk = chunk * 7 % 65_521 + 1
        }
        XCTAssertEqual(decoded.map(\.1), [4, 5])
        for (message, _) in decoded {
            guard case .scores(let scores) = message else { return XCTFail("not scores") }
            XCTAssertEqual(scores.values.map(\.bitPattern), values.map(\.bitPattern))
        }
    }

    func testEncodeAppendingGivesTheBytesOfEncoded() {
        var stream: [UInt8] = [0xAA]
        var expected: [UInt8] = [0xAA]
        // The samples are small (written on the stack); the last one is over 1 KiB (written in place).
        let large = Message.reference(Reference(epoch: 3, vector: (0..<1000).map { Double($0) / 7 }))
        for (index, message) in (SampleMessages.all + [large]).enumerated() {
            message.encode(requestID: UInt32(index), appendingTo: &stream)
            expected += message.encoded(requestID: UInt32(index))
        }
        XCTAssertEqual(stream, expected)
    }

    func testFramesOfTheFormerVersionAreRejectedAsUnsupported() {
        // Version 1 wrote array elements big-endian; its frames must not be misread.
        var frame = Message.reference(Reference(epoch: 1, vector: [1.0])).frame()
        frame.version = 1
        XCTAssertThrowsError(try Message.decode(frame)) { error in
            XCTAssertEqual(error as? WireError, .unsupportedVersion(1))
        }
    }

    /// The bytes `body` writes (at most 4 KiB).
    private func write(hostIsLittleEndian: Bool, _ body: (inout ByteWriter) -> Void) -> [UInt8] {
        let room = 4096
        return [UInt8](unsafeUninitializedCapacity: room) { buffer, initialized in
            var writer = ByteWriter(
                UnsafeMutableRawBufferPointer(UnsafeMutableBufferPointer(rebasing: buffer[0..<room])),
                hostIsLittleEndian: hostIsLittleEndian)
            body(&writer)
            initialized = room - writer.remaining
        }
    }
}
