import SieveWire
import XCTest

final class FrameDecoderTests: XCTestCase {
    /// A few frames of different sizes, including an empty payload.
    private let frames: [Frame] = [
        Frame(type: 1, requestID: 1, payload: []),
        Frame(type: 5, requestID: 0xFFFF_FFFF, payload: [0, 3]),
        Frame(type: 9, requestID: 7, payload: Array(0..<200).map { UInt8($0) }),
        Frame(type: 200, requestID: 8, payload: [0xFF], version: 9),
    ]

    private var stream: [UInt8] { frames.flatMap { $0.encoded() } }

    private func drain(_ decoder: inout FrameDecoder) throws -> [Frame] {
        var out: [Frame] = []
        while let frame = try decoder.next() { out.append(frame) }
        return out
    }

    func testDecoderFedOneByteAtATimeYieldsEveryFrame() throws {
        var decoder = FrameDecoder()
        var out: [Frame] = []
        for byte in stream {
            decoder.append([byte])
            out += try drain(&decoder)
        }
        XCTAssertEqual(out, frames)
        XCTAssertEqual(decoder.bufferedByteCount, 0)
    }

    func testManyFramesInOneBufferAllComeOut() throws {
        var decoder = FrameDecoder()
        let many = Array(repeating: frames, count: 50).flatMap { $0 }
        decoder.append(many.flatMap { $0.encoded() })
        XCTAssertEqual(try drain(&decoder), many)
        XCTAssertEqual(decoder.bufferedByteCount, 0)
    }

    func testOneFramePerBufferComesOutRightAway() throws {
        var decoder = FrameDecoder()
        for frame in frames {
            decoder.append(frame.encoded())
            XCTAssertEqual(try decoder.next(), frame)
            XCTAssertNil(try decoder.next())
        }
    }

    func testFrameSplitAtEveryPositionDecodesTheSame() throws {
        let bytes = frames[2].encoded()
        for split in 0...bytes.count {
            var decoder = FrameDecoder()
            decoder.append(Array(bytes[..<split]))
            let early = try drain(&decoder)
            decoder.append(Array(bytes[split...]))
            let late = try drain(&decoder)
            XCTAssertEqual(early + late, [frames[2]], "split at \(split)")
            XCTAssertEqual(early.isEmpty, split < bytes.count, "split at \(split)")
        }
    }

    func testTruncatedFrameYieldsNilWithoutErrorUntilComplete() throws {
        let bytes = frames[2].encoded()
        var decoder = FrameDecoder()
        for byte in bytes.dropLast() {
            decoder.append([byte])
            XCTAssertNil(try decoder.next())
        }
        XCTAssertEqual(decoder.bufferedByteCount, bytes.count - 1)
        decoder.append([bytes.last!])
        XCTAssertEqual(try decoder.next(), frames[2])
    }

    func testAppendFromRawBufferMatchesAppendFromArray() throws {
        var decoder = FrameDecoder()
        stream.withUnsafeBytes { decoder.append($0) }
        XCTAssertEqual(try drain(&decoder), frames)
    }

    func testOversizedLengthIsRejectedAsSoonAsTheLengthBytesArrive() {
        var decoder = FrameDecoder(maximumFrameLength: 64 << 20)
        decoder.append([0xFF, 0xFF, 0xFF])
        XCTAssertNil(try decoder.next())
        decoder.append([0xFF])
        XCTAssertThrowsError(try decoder.next()) { error in
            XCTAssertEqual((error as? WireError)?.code, .frameTooLarge)
            XCTAssertTrue("\(error)".contains("4294967295"), "\(error)")
            XCTAssertTrue("\(error)".contains("67108864"), "\(error)")
        }
    }

    func testLengthAtTheMaximumIsAcceptedAndOneAboveIsNot() throws {
        var accepting = FrameDecoder(maximumFrameLength: 10)
        accepting.append(Frame(type: 1, requestID: 0, payload: [1, 2]).encoded())
        XCTAssertEqual(try accepting.next()?.payload, [1, 2])

        var refusing = FrameDecoder(maximumFrameLength: 10)
        refusing.append([0, 0, 0, 11])
        XCTAssertThrowsError(try refusing.next()) { XCTAssertEqual(($0 as? WireError)?.code, .frameTooLarge) }
    }

    func testLengthSmallerThanTheHeaderRestIsRejected() {
        for length: UInt8 in 0..<8 {
            var decoder = FrameDecoder()
            decoder.append([0, 0, 0, length])
            XCTAssertThrowsError(try decoder.next()) { error in
                XCTAssertEqual((error as? WireError)?.code, .frameTooShort, "length \(length)")
            }
        }
    }

    func testBadMagicIsRejectedOnceItsTwoBytesArrive() {
        var decoder = FrameDecoder()
        decoder.append([0, 0, 0, 8, 0x47])
        XCTAssertNil(try decoder.next())
        decoder.append([0x54])
        XCTAssertThrowsError(try decoder.next()) { error in
            XCTAssertEqual((error as? WireError)?.code, .badMagic)
            XCTAssertTrue("\(error)".contains("0x4754"), "\(error)")
        }
    }

    func testHTTPRequestIsRejectedAsBadInput() {
        var decoder = FrameDecoder()
        decoder.append(Array("GET / HTTP/1.1\r\n".utf8))
        XCTAssertThrowsError(try decoder.next())
    }

    func testDecoderKeepsThrowingTheSameErrorAfterAFailure() {
        var decoder = FrameDecoder()
        decoder.append([0, 0, 0, 8, 0, 0, 1, 1, 0, 0, 0, 0])
        var first: WireError?
        XCTAssertThrowsError(try decoder.next()) { first = $0 as? WireError }
        decoder.append(frames[0].encoded())
        XCTAssertThrowsError(try decoder.next()) { XCTAssertEqual($0 as? WireError, first) }
        XCTAssertThrowsError(try decoder.next()) { XCTAssertEqual($0 as? WireError, first) }
        XCTAssertEqual(decoder.bufferedByteCount, 12, "bytes after the failure are not buffered")
    }

    func testDecoderPassesOtherVersionsAndTypesThrough() throws {
        var decoder = FrameDecoder()
        decoder.append(Frame(type: 250, requestID: 3, payload: [1], version: 2).encoded())
        let frame = try XCTUnwrap(decoder.next())
        XCTAssertEqual(frame.version, 2)
        XCTAssertEqual(frame.type, 250)
    }

    func testManySmallFramesInOneLargeBufferDecodeInLinearTime() throws {
        let frame = Frame(type: 5, requestID: 1, payload: [0, 1])
        let count = 200_000
        var decoder = FrameDecoder()
        decoder.append(Array(repeating: frame.encoded(), count: count).flatMap { $0 })
        let start = ContinuousClock.now
        var decoded = 0
        while try decoder.next() != nil { decoded += 1 }
        XCTAssertEqual(decoded, count)
        XCTAssertLessThan(ContinuousClock.now - start, .seconds(10), "removing frames from the front is quadratic")
    }

    func testLeftoverBytesSurviveCompaction() throws {
        let big = Frame(type: 8, requestID: 2, payload: Array(repeating: 7, count: 10_000))
        let bytes = big.encoded() + frames[1].encoded()
        var decoder = FrameDecoder()
        decoder.append(Array(bytes[..<(bytes.count - 2)]))
        XCTAssertEqual(try decoder.next(), big)
        XCTAssertNil(try decoder.next())
        decoder.append(Array(bytes[(bytes.count - 2)...]))
        XCTAssertEqual(try decoder.next(), frames[1])
        XCTAssertEqual(decoder.bufferedByteCount, 0)
    }

    func testBytesReadIntoTheDecodersSpaceDecodeLikeAppendedOnes() throws {
        let big = Frame(type: 9, requestID: 4, payload: (0..<300_000).map { UInt8(truncatingIfNeeded: $0 * 7) })
        let stream = frames.flatMap { $0.encoded() } + big.encoded() + frames.flatMap { $0.encoded() }
        var decoder = FrameDecoder()
        var decoded: [Frame] = []
        var offset = 0, chunk = 1
        while offset < stream.count {
            let space = decoder.spaceForNextRead()
            XCTAssertGreaterThan(space.count, 0)
            let count = min(chunk, space.count, stream.count - offset)
            stream[offset..<(offset + count)].withUnsafeBytes { space.copyMemory(from: $0) }
            decoder.append(UnsafeRawBufferPointer(rebasing: space[0..<count]))
            while let frame = try decoder.next() { decoded.append(frame) }
            offset += count
            chunk = chunk * 5 % 100_003 + 1
        }
        XCTAssertEqual(decoded, frames + [big] + frames)
        XCTAssertEqual(decoder.bufferedByteCount, 0)
    }

    /// Reads that fill all the room they are given mean the peer is ahead: the decoder then
    /// offers 256 KiB per read instead of 64 KiB (fewer system calls for the same bytes), and the
    /// frames decode the same.
    func testReadsThatFillTheirRoomAreOfferedMore() throws {
        let assign = Message.assign(Assignment(epoch: 1, phase: .score, shard: 3, attempt: 0, rowStart: 40, rowCount: 9))
        let stream = (0..<20_000).flatMap { assign.encoded(requestID: UInt32($0)) }
        var decoder = FrameDecoder()
        var offset = 0, decoded = 0
        var offered: [Int] = []
        while offset < stream.count {
            let space = decoder.spaceForNextRead()
            offered.append(space.count)
            let count = min(space.count, stream.count - offset)  // every read fills its room
            stream[offset..<(offset + count)].withUnsafeBytes { space.copyMemory(from: $0) }
            offset += count
            try decoder.append(UnsafeRawBufferPointer(rebasing: space[0..<count])) { message, requestID in
                XCTAssertEqual(message, assign)
                XCTAssertEqual(requestID, UInt32(decoded))
                decoded += 1
                return true
            }
        }
        XCTAssertEqual(decoded, 20_000)
        XCTAssertEqual(offered.first, 64 << 10)
        XCTAssertGreaterThanOrEqual(offered[1], 256 << 10 - 37, "offered \(offered)")
    }

    /// Once a large frame's room is made, reads into the decoder's space fill it in place: the
    /// storage never moves again before the frame is complete, even when the last reads are
    /// short (the space offered then is the rest of the frame, not 64 KiB more).
    func testALargeFrameIsReadInPlaceWithoutMovingItsStorage() throws {
        let big = Frame(type: 9, requestID: 4, payload: (0..<1_000_000).map { UInt8(truncatingIfNeeded: $0 * 3) })
        let stream = big.encoded()
        var decoder = FrameDecoder()
        var offset = 0, expected: UnsafeMutableRawPointer? = nil, moves = 0, roomMade = false
        var decoded: Frame?
        while offset < stream.count {
            let space = decoder.spaceForNextRead()
            if let expected, space.baseAddress != expected { moves += 1 }
            let count = min(offset == 0 ? 100 : 50_000, space.count, stream.count - offset)
            stream[offset..<(offset + count)].withUnsafeBytes { space.copyMemory(from: $0) }
            decoder.append(UnsafeRawBufferPointer(rebasing: space[0..<count]))
            offset += count
            decoded = try decoder.next()
            // The first next() (header in) makes the frame's room; every later read must land
            // right after the previous one.
            expected = roomMade ? space.baseAddress! + count : nil
            roomMade = true
        }
        XCTAssertEqual(decoded, big)
        XCTAssertEqual(moves, 0)
    }

    func testACopyOfADecoderKeepsItsOwnBytes() throws {
        let bytes = frames[1].encoded()
        var first = FrameDecoder()
        first.append(Array(bytes[..<5]))
        let second = first
        let space = first.spaceForNextRead()
        bytes[5...].withUnsafeBytes { space.copyMemory(from: $0) }
        first.append(UnsafeRawBufferPointer(rebasing: space[0..<(bytes.count - 5)]))
        XCTAssertEqual(try first.next(), frames[1])
        var copy = second
        XCTAssertEqual(copy.bufferedByteCount, 5)
        XCTAssertNil(try copy.next())
        copy.append(Array(bytes[5...]))
        XCTAssertEqual(try copy.next(), frames[1])
    }

    func testForEachMessageStopsWhenAskedAndKeepsTheRest() throws {
        let messages = SampleMessages.examples.map(\.message)
        let stream = messages.enumerated().flatMap { $0.element.encoded(requestID: UInt32($0.offset)) }
        var decoder = FrameDecoder()
        var seen: [(Message, UInt32)] = []
        try stream.withUnsafeBytes { raw in
            try decoder.append(raw) { message, requestID in
                seen.append((message, requestID))
                return seen.count < 3
            }
        }
        XCTAssertEqual(seen.map(\.1), [0, 1, 2])
        XCTAssertEqual(seen.map(\.0), Array(messages[0..<3]))
        try decoder.append(UnsafeRawBufferPointer(start: nil, count: 0)) { message, requestID in
            seen.append((message, requestID))
            return true
        }
        XCTAssertEqual(seen.map(\.0), messages)
        XCTAssertEqual(seen.map(\.1), (0..<UInt32(messages.count)).map { $0 })
    }
}
