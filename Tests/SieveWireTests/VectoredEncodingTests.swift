@testable import SieveWire
import XCTest

/// `Message.encodedForWriting` gives the buffers of one vectored write: large arrays as
/// themselves, everything else in byte segments. Joined, they must be the bytes of `encoded`.
final class VectoredEncodingTests: XCTestCase {
    private var messages: [Message] { SampleMessages.all + SampleMessages.withLargeArrays() }

    func testSegmentsJoinedAreTheEncodedBytesOfEveryMessage() {
        for (index, message) in messages.enumerated() {
            let expected = message.encoded(requestID: UInt32(index))
            for threshold in [8, 64, OutgoingFrame.minimumSegmentBytes] {
                let frame = message.encodedForWriting(
                    requestID: UInt32(index), hostIsLittleEndian: true, minimumSegmentBytes: threshold)
                XCTAssertEqual(frame.joined, expected, "\(message.type.name), threshold \(threshold)")
                XCTAssertEqual(frame.byteCount, expected.count)
            }
            XCTAssertEqual(message.encodedForWriting(requestID: UInt32(index)).joined, expected)
        }
    }

    func testEveryLargeArrayIsASegmentSharingTheMessagesStorage() throws {
        for message in SampleMessages.withLargeArrays() {
            guard case .segments(let segments) = message.encodedForWriting(requestID: 1) else {
                return XCTFail("\(message.type.name) was copied into one buffer")
            }
            let arrays = Self.arrays(of: message)
            let sent = segments.compactMap { segment -> UnsafeRawPointer? in
                switch segment {
                case .bytes: nil
                case .f64s(let values): values.withUnsafeBytes { $0.baseAddress }
                case .u64s(let values): values.withUnsafeBytes { $0.baseAddress }
                }
            }
            XCTAssertEqual(sent, arrays, "\(message.type.name): the segments must be the message's own arrays")
            XCTAssertLessThan(
                segments.filter { if case .bytes = $0 { true } else { false } }.reduce(0) { $0 + $1.byteCount }, 200,
                "\(message.type.name): only the fields around the arrays are written")
        }
    }

    func testSegmentsFollowTheFieldOrder() throws {
        let large = SampleMessages.withLargeArrays()
        guard case .segments(let curriculum) = large[3].encodedForWriting(requestID: 0),
            case .segments(let picks) = large[5].encodedForWriting(requestID: 0)
        else { return XCTFail("not segmented") }
        // header + epoch + rows count | rows | scores count | scores
        XCTAssertEqual(curriculum.map(Self.kind), ["bytes", "u64s", "bytes", "f64s"])
        XCTAssertEqual(curriculum[0].byteCount, 12 + 4 + 4)
        XCTAssertEqual(curriculum[2].byteCount, 4)
        // header + epoch, part, attempt + picks count | picks | value
        XCTAssertEqual(picks.map(Self.kind), ["bytes", "u64s", "bytes"])
        XCTAssertEqual(picks[2].byteCount, 8)
    }

    func testSmallFramesAreOneBuffer() {
        for message in SampleMessages.all {
            guard case .contiguous(let bytes) = message.encodedForWriting(requestID: 9) else {
                return XCTFail("\(message.type.name): a small frame was split")
            }
            XCTAssertEqual(bytes, message.encoded(requestID: 9))
        }
    }

    /// A big-endian host cannot send its arrays' memory as it is: it writes one buffer, the
    /// elements byte-swapped. Fed the values as such a host holds them, it must give the bytes
    /// the little-endian path gives for the values themselves.
    func testBigEndianHostsWriteOneBufferWithTheSameBytes() {
        for message in SampleMessages.withLargeArrays(count: 9000) + SampleMessages.all {
            let frame = Self.asBigEndianHostHolds(message).encodedForWriting(
                requestID: 5, hostIsLittleEndian: false, minimumSegmentBytes: 8)
            guard case .contiguous(let bytes) = frame else { return XCTFail("\(message.type.name) was segmented") }
            XCTAssertEqual(bytes, message.encoded(requestID: 5), message.type.name)
        }
    }

    func testEncodeIntoWritesTheFrameOnlyWhenItFits() {
        for message in messages {
            let expected = message.encoded(requestID: 3)
            var room = [UInt8](repeating: 0xEE, count: expected.count + 5)
            let written = room.withUnsafeMutableBytes { message.encode(requestID: 3, into: $0) }
            XCTAssertEqual(written, expected.count)
            XCTAssertEqual(Array(room[..<expected.count]), expected, message.type.name)
            XCTAssertEqual(Array(room[expected.count...]), [0xEE, 0xEE, 0xEE, 0xEE, 0xEE], "wrote past the frame")

            var short = [UInt8](repeating: 0xEE, count: expected.count - 1)
            XCTAssertNil(short.withUnsafeMutableBytes { message.encode(requestID: 3, into: $0) })
            XCTAssertEqual(short, [UInt8](repeating: 0xEE, count: expected.count - 1), "wrote into a room too short")
        }
    }

    /// The frame is written into the array's own storage: the array must still behave as a
    /// value (a copy made before the append keeps its bytes), and grow when it is full.
    func testEncodeAppendingKeepsArraysValuesAndGrowsThem() {
        var bytes: [UInt8] = [1, 2, 3]
        let before = bytes
        var expected = before
        for (index, message) in messages.enumerated() {
            let copy = bytes
            message.encode(requestID: UInt32(index), appendingTo: &bytes)
            expected += message.encoded(requestID: UInt32(index))
            XCTAssertEqual(bytes, expected)
            XCTAssertEqual(copy, Array(expected[..<copy.count]), "the append changed a copy")
        }
        XCTAssertEqual(before, [1, 2, 3])
        // No spare capacity at all: the append must grow the array.
        var tight = [UInt8](unsafeUninitializedCapacity: 1) { buffer, count in buffer[0] = 7; count = 1 }
        messages[0].encode(requestID: 0, appendingTo: &tight)
        XCTAssertEqual(tight, [7] + messages[0].encoded(requestID: 0))
    }

    private static func kind(_ segment: FrameSegment) -> String {
        switch segment {
        case .bytes: "bytes"
        case .f64s: "f64s"
        case .u64s: "u64s"
        }
    }

    /// The base addresses of a message's arrays, in field order.
    static func arrays(of message: Message) -> [UnsafeRawPointer?] {
        func base<T>(_ array: [T]) -> UnsafeRawPointer? { array.withUnsafeBytes { $0.baseAddress } }
        switch message {
        case .reference(let body): return [base(body.vector)]
        case .partialSum(let body): return [base(body.sum)]
        case .scores(let body): return [base(body.values)]
        case .curriculum(let body): return [base(body.rows), base(body.scores)]
        case .assignPart(let body): return [base(body.rows)]
        case .partPicks(let body): return [base(body.picks)]
        case .assignTask(let body): return [base(body.rows)]
        case .taskResult(let body): return [base(body.values)]
        case .weights(let body): return [base(body.values)]
        default: return []
        }
    }

    /// The message with every array element as a big-endian host holds it in memory (read on
    /// this little-endian host, its bytes reversed).
    static func asBigEndianHostHolds(_ message: Message) -> Message {
        func swap(_ values: [Double]) -> [Double] { values.map { Double(bitPattern: $0.bitPattern.byteSwapped) } }
        func swap(_ values: [UInt64]) -> [UInt64] { values.map(\.byteSwapped) }
        switch message {
        case .reference(var body): body.vector = swap(body.vector); return .reference(body)
        case .partialSum(var body): body.sum = swap(body.sum); return .partialSum(body)
        case .scores(var body): body.values = swap(body.values); return .scores(body)
        case .curriculum(var body): body.rows = swap(body.rows); body.scores = swap(body.scores); return .curriculum(body)
        case .assignPart(var body): body.rows = swap(body.rows); return .assignPart(body)
        case .partPicks(var body): body.picks = swap(body.picks); return .partPicks(body)
        case .assignTask(var body): body.rows = swap(body.rows); return .assignTask(body)
        case .taskResult(var body): body.values = swap(body.values); return .taskResult(body)
        case .weights(var body): body.values = swap(body.values); return .weights(body)
        default: return message
        }
    }
}
