@testable import SieveWire
import XCTest

/// A `FrameDecoder` whose reads go into `spaceForNextRead()` receives the large arrays of a frame
/// straight into the arrays of the decoded message. Whatever the splits of the stream, the
/// messages, frames and errors must be those of a plain decode.
final class InPlaceArrayTests: XCTestCase {
    /// Small samples and large-array messages, interleaved, with their request ids.
    private let messages: [Message] = {
        let large = SampleMessages.withLargeArrays(count: 9_000)
        var all: [Message] = []
        for (index, message) in SampleMessages.all.enumerated() {
            all.append(message)
            if index < large.count { all.append(large[index]) }
        }
        return all + SampleMessages.withLargeArrays(count: 20_000, seed: 7)
    }()

    private var stream: [UInt8] {
        messages.enumerated().flatMap { $0.element.encoded(requestID: UInt32($0.offset) &* 7) }
    }

    /// Equal fields, bit for bit (NaN payloads included, which `==` on `Double` cannot say).
    private func assertSameBits(_ decoded: [(Message, UInt32)], _ context: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(decoded.count, messages.count, context, file: file, line: line)
        for (index, (message, requestID)) in decoded.enumerated() where index < messages.count {
            XCTAssertEqual(requestID, UInt32(index) &* 7, context, file: file, line: line)
            XCTAssertEqual(message.encoded(), messages[index].encoded(), "\(context): message \(index) (\(message.type.name))",
                           file: file, line: line)
        }
    }

    /// How the stream is cut into reads: chunk sizes, cycling.
    private enum Splits {
        case oneByte
        case random(seed: UInt64)
        case reads256KiB

        func sizes() -> AnyIterator<Int> {
            switch self {
            case .oneByte: return AnyIterator { 1 }
            case .reads256KiB: return AnyIterator { 256 << 10 }
            case .random(let seed):
                var state = seed
                return AnyIterator {
                    state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                    // Mostly short reads, now and then a long one.
                    let roll = Int(state >> 33)
                    return roll % 8 == 0 ? 1 + roll % 300_000 : 1 + roll % 3_000
                }
            }
        }
    }

    /// Feeds `stream` as reads into the decoder's space (or, `copying`, as appended copies) and
    /// decodes with the API `how` names.
    private func decode(
        _ stream: [UInt8], splits: Splits, decoder: inout FrameDecoder, copying: Bool = false, how: String = "forEach",
        onSpace: (UnsafeMutableRawBufferPointer, Int) -> Void = { _, _ in }
    ) throws -> [(Message, UInt32)] {
        var out: [(Message, UInt32)] = []
        var offset = 0
        let sizes = splits.sizes()
        while offset < stream.count {
            let wanted = min(sizes.next()!, stream.count - offset)
            var bytes: UnsafeRawBufferPointer
            if copying {
                bytes = stream.withUnsafeBytes { UnsafeRawBufferPointer(rebasing: $0[offset..<(offset + wanted)]) }
            } else {
                let space = decoder.spaceForNextRead()
                XCTAssertGreaterThan(space.count, 0)
                let count = min(wanted, space.count)
                onSpace(space, count)
                stream[offset..<(offset + count)].withUnsafeBytes { space.baseAddress!.copyMemory(from: $0.baseAddress!, byteCount: count) }
                bytes = UnsafeRawBufferPointer(rebasing: space[0..<count])
            }
            offset += bytes.count
            switch how {
            case "forEach":
                try withExtendedLifetime(stream) {
                    try decoder.append(bytes) { message, requestID in
                        out.append((message, requestID))
                        return true
                    }
                }
            case "nextMessage":
                withExtendedLifetime(stream) { decoder.append(bytes) }
                while let next = try decoder.nextMessage() { out.append(next) }
            default:
                withExtendedLifetime(stream) { decoder.append(bytes) }
                while let frame = try decoder.next() { out.append((try Message.decode(frame), frame.requestID)) }
            }
        }
        XCTAssertEqual(decoder.bufferedByteCount, 0)
        return out
    }

    func testEveryMessageDecodesTheSameHoweverTheStreamIsSplit() throws {
        let stream = self.stream
        for threshold in [8, 4096, FrameDecoder.defaultMinimumInPlaceArrayBytes] {
            for splits in [Splits.random(seed: 1), .random(seed: 2), .reads256KiB] {
                for how in ["forEach", "nextMessage", "next"] {
                    var decoder = FrameDecoder(minimumInPlaceArrayBytes: threshold, hostIsLittleEndian: true)
                    assertSameBits(try decode(stream, splits: splits, decoder: &decoder, how: how),
                                   "threshold \(threshold), \(splits), \(how)")
                }
            }
            var copying = FrameDecoder(minimumInPlaceArrayBytes: threshold, hostIsLittleEndian: true)
            assertSameBits(try decode(stream, splits: .random(seed: 3), decoder: &copying, copying: true), "copies, \(threshold)")
        }
    }

    func testOneByteReadsDecodeTheSame() throws {
        // One byte per read: every field of every prefix arrives alone; probes wait, then
        // arrays are begun with nothing buffered yet, and are filled a byte at a time.
        let large = SampleMessages.withLargeArrays(count: 40)
        let messages = SampleMessages.all + large
        let stream = messages.enumerated().flatMap { $0.element.encoded(requestID: UInt32($0.offset) &* 7) }
        var decoder = FrameDecoder(minimumInPlaceArrayBytes: 8, hostIsLittleEndian: true)
        let decoded = try decode(stream, splits: .oneByte, decoder: &decoder)
        XCTAssertEqual(decoded.map { $0.0.encoded(requestID: $0.1) }, messages.enumerated().map { $0.element.encoded(requestID: UInt32($0.offset) &* 7) })
    }

    /// The point of it all: the values of a large `scores` frame land, read by read, in one
    /// buffer of the array's own size (not through the frame buffer, which would move them as
    /// it grows), which becomes the decoded message's array with one copy once complete; and
    /// the first read of the next large frame is short (4 KiB), so that nearly all its values
    /// are read there.
    func testALargeScoresFramesValuesAreReadStraightIntoABufferOfTheirOwn() throws {
        let scores = SampleMessages.withLargeArrays(count: 200_000)[2]
        let frameBytes = scores.encoded(requestID: 1)
        let stream = frameBytes + frameBytes
        var decoder = FrameDecoder()
        var spaces: [(UnsafeRawPointer, Int)] = []
        let decoded = try decode(stream, splits: .reads256KiB, decoder: &decoder) { space, count in
            spaces.append((UnsafeRawPointer(space.baseAddress!), count))
        }
        XCTAssertEqual(decoded.count, 2)
        // Runs of reads, each starting where the one before ended: the reads into one array.
        var runs: [Int] = []
        var end: UnsafeRawPointer?
        for (start, count) in spaces {
            if start == end { runs[runs.count - 1] += count } else { runs.append(count) }
            end = start + count
        }
        for (index, (message, _)) in decoded.enumerated() {
            guard case .scores(let body) = message else { return XCTFail("not scores") }
            XCTAssertEqual(message.encoded(requestID: 1), frameBytes)
            // The first read of the stream (256 KiB) brought the header, the fields and some
            // values; the first read after a large frame is 4 KiB. The rest was read in place.
            let expected = 8 * body.values.count - (index == 0 ? 256 << 10 : 4096)
            XCTAssertEqual(runs.filter { $0 >= expected && $0 <= 8 * body.values.count }.count >= 1, true,
                           "frame \(index): one run of reads of at least \(expected) bytes, in runs \(runs)")
        }
        XCTAssertEqual(runs.filter { $0 >= 8 * 200_000 - (256 << 10) }.count, 2, "one long run per frame: \(runs)")
    }

    /// No read is ever written into the storage of an array a decoded message holds: a pointer
    /// to an array's elements is valid only inside its `withUnsafe*` call, and reads happen
    /// long after. (Before issue 13 the reads went exactly there.)
    func testNoReadLandsInTheStorageOfADecodedMessagesArray() throws {
        let scores = SampleMessages.withLargeArrays(count: 200_000)[2]
        let frameBytes = scores.encoded(requestID: 1)
        var decoder = FrameDecoder()
        var spaces: [(UnsafeRawPointer, Int)] = []
        let decoded = try decode(frameBytes + frameBytes, splits: .reads256KiB, decoder: &decoder) { space, count in
            spaces.append((UnsafeRawPointer(space.baseAddress!), count))
        }
        XCTAssertEqual(decoded.count, 2)
        for (message, _) in decoded {
            guard case .scores(let body) = message else { return XCTFail("not scores") }
            XCTAssertEqual(message.encoded(requestID: 1), frameBytes)
            let values = try XCTUnwrap(body.values.withUnsafeBytes { $0.baseAddress })
            let inside = spaces.filter { $0.0 >= values && $0.0 < values + 8 * body.values.count }
            XCTAssertEqual(inside.count, 0, "reads written into the message's own array")
        }
    }

    func testBigEndianHostsSwapInPlaceArraysAndKeepTheWireBytes() throws {
        let stream = self.stream
        for how in ["forEach", "next"] {
            var decoder = FrameDecoder(minimumInPlaceArrayBytes: 8, hostIsLittleEndian: false)
            let decoded = try decode(stream, splits: .random(seed: 5), decoder: &decoder, how: how)
            XCTAssertEqual(decoded.count, messages.count)
            for (index, (message, _)) in decoded.enumerated() {
                // Decoded through the big-endian path, a message holds its arrays as that host
                // would; swapped back they are the originals. (`next` hands out the payload
                // bytes, which Message.decode reads on this host's path: the wire bytes.)
                let expected = how == "next" ? messages[index] : VectoredEncodingTests.asBigEndianHostHolds(messages[index])
                XCTAssertEqual(message.encoded(), expected.encoded(), "\(how): message \(index) (\(message.type.name))")
            }
        }
    }

    func testACopyOfADecoderInTheMiddleOfAnArrayKeepsItsOwnArray() throws {
        let message = SampleMessages.withLargeArrays(count: 30_000)[3]  // curriculum: two arrays
        let bytes = message.encoded(requestID: 4)
        var first = FrameDecoder()
        var offset = 0
        // Read until part of the second array is in place.
        while offset < bytes.count * 3 / 4 {
            let space = first.spaceForNextRead()
            let count = min(space.count, 10_000, bytes.count - offset)
            bytes[offset..<(offset + count)].withUnsafeBytes { space.baseAddress!.copyMemory(from: $0.baseAddress!, byteCount: count) }
            first.append(UnsafeRawBufferPointer(rebasing: space[0..<count]))
            offset += count
        }
        var second = first
        let rest = Array(bytes[offset...])
        // The first finishes with reads into its space, the second with copies.
        var fromFirst: (Message, UInt32)?
        var at = 0
        while at < rest.count {
            let space = first.spaceForNextRead()
            let count = min(space.count, rest.count - at)
            rest[at..<(at + count)].withUnsafeBytes { space.baseAddress!.copyMemory(from: $0.baseAddress!, byteCount: count) }
            first.append(UnsafeRawBufferPointer(rebasing: space[0..<count]))
            at += count
            if let next = try first.nextMessage() { fromFirst = next }
        }
        second.append(rest)
        let fromSecond = try XCTUnwrap(try second.nextMessage())
        let one = try XCTUnwrap(fromFirst)
        XCTAssertEqual(one.0.encoded(requestID: one.1), bytes)
        XCTAssertEqual(fromSecond.0.encoded(requestID: fromSecond.1), bytes)
        XCTAssertNotEqual(VectoredEncodingTests.arrays(of: one.0), VectoredEncodingTests.arrays(of: fromSecond.0),
                          "two decoders share an array")
    }

    /// Errors in a large frame are the plain decoder's: the probe never reports one, it only
    /// stops receiving in place.
    func testMalformedLargeFramesFailWithThePlainDecodersError() throws {
        let good = SampleMessages.withLargeArrays(count: 20_000)[2].encoded(requestID: 1)  // scores
        // Payload: epoch 0..<4, shard, attempt, rowStart 12..<20, rowCount 20..<24, column count
        // 24, then the column names (count + bytes each), then the values' count; frame offset = 12 + that.
        var wrongCount = good
        wrongCount.replaceSubrange(32..<36, with: [0, 0, 0, 9])  // rowCount 9: values no longer rows × columns
        var badUTF8 = good
        badUTF8[12 + 29] = 0xFF  // first byte of the first column name
        var countBeyond = good
        let valuesCount = 12 + 25 + (4 + 5) + (4 + 6) + (4 + 9) + (4 + 8)
        XCTAssertEqual(Array(good[valuesCount..<(valuesCount + 4)]), [0, 0, 0x4e, 0x20], "the values count of 20,000")
        countBeyond.replaceSubrange(valuesCount..<(valuesCount + 4), with: [0, 0x10, 0, 0])
        var trailing = good + [0, 0, 0]
        trailing.replaceSubrange(0..<4, with: withUnsafeBytes(of: UInt32(good.count - 4 + 3).bigEndian) { Array($0) })
        var otherVersion = good
        otherVersion[6] = 1
        for (name, bytes) in [("rowCount", wrongCount), ("utf8", badUTF8), ("count", countBeyond), ("trailing", trailing),
                              ("version", otherVersion)] {
            var plain = FrameDecoder()
            plain.append(bytes)
            let expected = try XCTUnwrap(plain.next())
            var expectedError: WireError?
            XCTAssertThrowsError(try Message.decode(expected)) { expectedError = $0 as? WireError }
            XCTAssertNotNil(expectedError, name)
            for threshold in [8, FrameDecoder.defaultMinimumInPlaceArrayBytes] {
                var decoder = FrameDecoder(minimumInPlaceArrayBytes: threshold, hostIsLittleEndian: true)
                XCTAssertThrowsError(try decode(bytes, splits: .random(seed: 11), decoder: &decoder), name) { error in
                    XCTAssertEqual(error as? WireError, expectedError, name)
                }
                // As a frame, it is cut and handed out byte for byte.
                var framing = FrameDecoder(minimumInPlaceArrayBytes: threshold, hostIsLittleEndian: true)
                var frame: Frame?
                var offset = 0
                let sizes = Splits.random(seed: 12).sizes()
                while frame == nil && offset < bytes.count {
                    let space = framing.spaceForNextRead()
                    let count = min(sizes.next()!, space.count, bytes.count - offset)
                    bytes[offset..<(offset + count)].withUnsafeBytes { space.baseAddress!.copyMemory(from: $0.baseAddress!, byteCount: count) }
                    framing.append(UnsafeRawBufferPointer(rebasing: space[0..<count]))
                    offset += count
                    frame = try framing.next()
                }
                XCTAssertEqual(frame, expected, name)
            }
        }
    }
}
