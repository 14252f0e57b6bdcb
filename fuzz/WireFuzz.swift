// libFuzzer entry point for the SieveWire codec: FrameDecoder, Message.decode and the encoders.
//
// Built by scripts/fuzz.sh with swiftc over Sources/SieveWire/*.swift and this file, in one
// module (so there is no `import SieveWire`); it uses the module's public API, and two internal
// entry points the tests use too: a FrameDecoder with a small in-place array threshold, and
// encodedForWriting with a small segment threshold.
//
// Input layout: byte 0 is a control byte, the rest is the byte stream a peer would send.
//   - bits 0-6 (`c & 0x7f`): the largest chunk the stream is appended in; 0 means the whole
//     stream in one append, 1 means byte by byte, n means chunks of 1...n bytes, their sizes
//     drawn from a generator seeded by the control byte and the stream length.
//   - bit 7: the decoder's maximum frame length is 64 bytes instead of 1 MiB, so that
//     `frameTooLarge` and the limit's edge are reachable with small inputs.
//
// Checks, each a preconditionFailure (a libFuzzer crash) when it fails:
//   1. Splitting does not matter: the chunked decoder yields the same frames, then the same
//      error (or the same count of buffered bytes), as a decoder given the stream in one append.
//   2. The frames are the stream: their encodings, concatenated, are a prefix of the stream, and
//      what is left over is exactly what the decoder still buffers (or rejects).
//   3. Every frame survives encode -> FrameDecoder unchanged.
//   4. Every frame that decodes to a Message round-trips: `encoded(requestID:)` (and
//      `encode(requestID:appendingTo:)` after other bytes, `encode(requestID:into:)`, the
//      joined segments of `encodedForWriting`) gives back the
//      frame's exact bytes, `frame(requestID:)` the same frame, the re-encoded bytes decode to
//      the same frame and to an equal message (NaN counted equal to NaN, since the bytes are
//      compared bit for bit anyway), and a frame that fails to decode fails the same way again.
//   5. Every WireError carries a wire code of 1...7 and a non-empty message; the decoder throws
//      only framing errors, justified by the bytes; Message.decode only the error its checks
//      give in their documented order (version, type, fields), naming the message.
//   6. The message path (`append(_:forEachMessage:)`, i.e. `nextMessage()` decoding in place)
//      yields the messages and errors of `next()` + `Message.decode`, frame by frame.
// A WireError thrown by the decoder or by Message.decode is not a finding in itself.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The largest frame the decoder accepts in the default mode (length field, 8 + payload).
private let largeMaximum = 1 << 20
/// The maximum in small-limit mode (control bit 7).
private let smallMaximum = 64

@_cdecl("LLVMFuzzerTestOneInput")
public func wireFuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data, size > 0 else { return 0 }
    let control = data[0]
    let stream = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    let maximum = control & 0x80 != 0 ? smallMaximum : largeMaximum
    let largestChunk = Int(control & 0x7f)

    let whole = decodeStream(stream, maximum: maximum, largestChunk: 0, seed: 0)
    if largestChunk != 0 {
        let seed = UInt64(control) &* 0x9E37_79B9_7F4A_7C15 ^ UInt64(stream.count)
        let chunked = decodeStream(stream, maximum: maximum, largestChunk: largestChunk, seed: seed)
        check(chunked.frames == whole.frames, "chunked decoding yields other frames than one append")
        check(chunked.end == whole.end, "chunked decoding ends as \(chunked.end), one append as \(whole.end)")
    }
    checkFramesAreTheStream(whole, stream: stream, maximum: maximum)
    for frame in whole.frames { checkFrame(frame, maximum: maximum) }
    checkMessagePath(stream, maximum: maximum, whole, largestChunk: 0, seed: 0)
    if largestChunk != 0 {
        checkMessagePath(stream, maximum: maximum, whole, largestChunk: largestChunk, seed: UInt64(control) ^ 0x5EED)
    }
    return 0
}

/// What one frame of a stream came to on the message path: its message's bytes, or an error.
private enum Outcome: Equatable {
    case message([UInt8])
    case error(WireError)
}

/// 6. The message path (`append(_:forEachMessage:)`, which runs `nextMessage()`, decoding in
/// place) gives what `next()` and `Message.decode` give: the same messages, the same errors,
/// frame by frame, and ends the same way. The stream goes in one append (`largestChunk` 0), or
/// in chunks of 1...largestChunk bytes, every other one read into `spaceForNextRead()` of a
/// decoder that receives arrays of 8 bytes or more in place.
private func checkMessagePath(_ stream: [UInt8], maximum: Int, _ whole: Decoded, largestChunk: Int, seed: UInt64) {
    var expected: [Outcome] = whole.frames.map { frame in
        do {
            return .message(try Message.decode(frame).encoded(requestID: frame.requestID))
        } catch {
            return .error(error as! WireError)
        }
    }
    if case .failed(let error) = whole.end { expected.append(.error(error)) }
    var decoder = FrameDecoder(maximumFrameLength: maximum, minimumInPlaceArrayBytes: 8, hostIsLittleEndian: true)
    var generator = SplitMix(state: seed)
    var outcomes: [Outcome] = []
    var offset = 0
    var chunkIndex = 0
    var dead = false
    /// Appends `bytes` (or bytes read into the decoder's space, `inSpace`) and takes every
    /// message; after a message error, goes on with what is buffered.
    func feed(_ bytes: UnsafeRawBufferPointer) {
        var input = bytes
        while !dead {
            do {
                try decoder.append(input) { message, requestID in
                    outcomes.append(.message(message.encoded(requestID: requestID)))
                    return true
                }
                return
            } catch let error as WireError {
                outcomes.append(.error(error))
                // A framing error is final; a message error consumed its frame, so go on.
                if [.frameTooLarge, .frameTooShort, .badMagic].contains(error.code) { dead = true }
            } catch {
                finding("the message path threw a non-WireError: \(error)")
            }
            input = UnsafeRawBufferPointer(start: nil, count: 0)
        }
    }
    repeat {
        let size = largestChunk == 0 ? stream.count : 1 + Int(generator.next() % UInt64(largestChunk))
        let upper = min(stream.count, offset + size)
        if chunkIndex % 2 == 1 {
            // A read straight into the decoder's space (an in-place array's memory, maybe).
            let space = decoder.spaceForNextRead()
            let count = min(upper - offset, space.count)
            stream[offset..<(offset + count)].withUnsafeBytes { space.copyMemory(from: $0) }
            feed(UnsafeRawBufferPointer(rebasing: space[0..<count]))
            if offset + count < upper { stream[(offset + count)..<upper].withUnsafeBytes { feed($0) } }
        } else {
            stream[offset..<upper].withUnsafeBytes { feed($0) }
        }
        offset = upper
        chunkIndex += 1
    } while offset < stream.count && !dead
    if stream.isEmpty { feed(UnsafeRawBufferPointer(start: nil, count: 0)) }
    check(outcomes == expected, "the message path gives \(outcomes.count) outcomes, next() + decode \(expected.count), or other ones")
    if case .needMore(let buffered) = whole.end {
        check(decoder.bufferedByteCount == buffered, "the message path leaves other bytes buffered")
    }
}

/// How a stream ended once no further frame came out.
private enum End: Equatable {
    /// `next()` returned nil with this many bytes still buffered.
    case needMore(buffered: Int)
    /// `next()` threw this error.
    case failed(WireError)
}

private struct Decoded {
    var frames: [Frame]
    var end: End
}

/// Feeds `stream` to a new decoder in chunks of 1...largestChunk bytes (all at once if 0),
/// taking every frame after each append, and cycling through the two `append` overloads and a
/// read into `spaceForNextRead()`. The decoder receives arrays of 8 bytes or more in place (the
/// real threshold, 64 KiB, is beyond these inputs), so reads into an array's own memory, the
/// holes they leave in the buffer and `next()` filling them back in are all exercised.
private func decodeStream(_ stream: [UInt8], maximum: Int, largestChunk: Int, seed: UInt64) -> Decoded {
    var decoder = FrameDecoder(maximumFrameLength: maximum, minimumInPlaceArrayBytes: 8, hostIsLittleEndian: true)
    var generator = SplitMix(state: seed)
    var frames: [Frame] = []
    var offset = 0
    var chunkIndex = 0
    var end = End.needMore(buffered: 0)
    repeat {
        let size = largestChunk == 0 ? stream.count : 1 + Int(generator.next() % UInt64(largestChunk))
        let upper = min(stream.count, offset + size)
        switch chunkIndex % 3 {
        case 0:
            decoder.append(Array(stream[offset..<upper]))
        case 1:
            stream[offset..<upper].withUnsafeBytes { decoder.append($0) }
        default:
            // A read straight into the decoder's buffer, as TCPConnection.readSpace makes it.
            let space = decoder.spaceForNextRead()
            let count = min(upper - offset, space.count)
            check(space.count > 0, "spaceForNextRead offered no room")
            stream[offset..<(offset + count)].withUnsafeBytes { space.copyMemory(from: $0) }
            decoder.append(UnsafeRawBufferPointer(rebasing: space[0..<count]))
            if offset + count < upper { stream[(offset + count)..<upper].withUnsafeBytes { decoder.append($0) } }
        }
        offset = upper
        chunkIndex += 1
        end = drain(&decoder, into: &frames)
        if case .failed(let error) = end {
            // The stream is dead: the same error again, whatever arrives next.
            decoder.append(Array(stream[offset...]))
            stream[offset...].withUnsafeBytes { decoder.append($0) }
            var more: [Frame] = []
            check(drain(&decoder, into: &more) == .failed(error) && more.isEmpty, "a failed decoder recovered")
            break
        }
    } while offset < stream.count
    if case .needMore(let buffered) = end {
        check(buffered == decoder.bufferedByteCount, "bufferedByteCount disagrees")
    }
    return Decoded(frames: frames, end: end)
}

/// Takes frames until the decoder wants more bytes or fails.
private func drain(_ decoder: inout FrameDecoder, into frames: inout [Frame]) -> End {
    do {
        while let frame = try decoder.next() { frames.append(frame) }
        return .needMore(buffered: decoder.bufferedByteCount)
    } catch let error as WireError {
        checkError(error)
        return .failed(error)
    } catch {
        finding("FrameDecoder.next threw a non-WireError: \(error)")
    }
}

/// Check 2: the frames' encodings are the stream's first bytes, and what follows them is what
/// the decoder is left with: a partial frame it buffers, or a header it rejects for a reason the
/// bytes show.
private func checkFramesAreTheStream(_ decoded: Decoded, stream: [UInt8], maximum: Int) {
    var offset = 0
    for frame in decoded.frames {
        let bytes = frame.encoded()
        check(offset + bytes.count <= stream.count, "frames are longer than the stream")
        check(stream[offset..<(offset + bytes.count)].elementsEqual(bytes), "a frame's encoding differs from its bytes")
        offset += bytes.count
    }
    let rest = stream[offset...]
    switch decoded.end {
    case .needMore(let buffered):
        check(buffered == rest.count, "decoder buffers \(buffered) bytes, \(rest.count) are left over")
        if rest.count >= 4 {
            let length = Int(bigEndianInteger(rest, count: 4))
            check(length >= 8 && length <= maximum, "a header with length \(length) was buffered, not rejected")
            check(rest.count < 4 + length, "a whole frame was left in the buffer")
            if rest.count >= 6 { check(bigEndianInteger(rest.dropFirst(4), count: 2) == 0x4753, "bad magic buffered") }
        }
    case .failed(let error):
        check(rest.count >= 4, "failed with fewer than 4 header bytes: \(error)")
        let length = bigEndianInteger(rest, count: 4)
        switch error.code {
        case .frameTooLarge: check(length > UInt64(maximum), "frameTooLarge for length \(length)")
        case .frameTooShort: check(length < 8, "frameTooShort for length \(length)")
        case .badMagic:
            check(length >= 8 && length <= UInt64(maximum), "badMagic reported before the length was checked")
            check(rest.count >= 6 && bigEndianInteger(rest.dropFirst(4), count: 2) != 0x4753, "badMagic on GS")
        default: finding("FrameDecoder threw \(error.code), which only Message.decode may throw")
        }
    }
}

/// Checks 3 and 4 for one frame the decoder produced.
private func checkFrame(_ frame: Frame, maximum: Int) {
    // 3. The frame's bytes give the same frame back.
    let bytes = frame.encoded()
    check(bytes.count == 12 + frame.payload.count, "Frame.encoded has the wrong size")
    check(singleFrame(bytes, maximum: maximum) == frame, "Frame.encoded does not decode to the same frame")

    let message: Message
    do {
        message = try Message.decode(frame)
    } catch let error as WireError {
        checkError(error)
        checkDecodeError(error, frame: frame)
        do {
            _ = try Message.decode(frame)
            finding("Message.decode failed, then succeeded on the same frame")
        } catch let again as WireError {
            check(again == error, "Message.decode failed differently on the same frame")
        } catch {
            finding("Message.decode threw a non-WireError: \(error)")
        }
        return
    } catch {
        finding("Message.decode threw a non-WireError: \(error)")
    }

    // 4. Round trip. The decoder accepts one encoding per message, so re-encoding is exact.
    check(frame.version == Wire.protocolVersion, "decoded a frame of version \(frame.version)")
    check(message.type.rawValue == frame.type, "decoded a \(message.type.name) from type byte \(frame.type)")
    let reencoded = message.encoded(requestID: frame.requestID)
    check(reencoded == bytes, "\(message.type.name): re-encoding differs from the bytes it was decoded from")
    check(message.frame(requestID: frame.requestID) == frame, "\(message.type.name): frame(requestID:) differs")
    check(message.encodePayload() == frame.payload, "\(message.type.name): encodePayload differs")
    var appended: [UInt8] = [0x5A]
    message.encode(requestID: frame.requestID, appendingTo: &appended)
    check(appended == [0x5A] + bytes, "\(message.type.name): encode(appendingTo:) differs from encoded")
    var room = [UInt8](repeating: 0xA5, count: bytes.count + 1)
    let written = room.withUnsafeMutableBytes { message.encode(requestID: frame.requestID, into: $0) }
    check(written == bytes.count && room == bytes + [0xA5], "\(message.type.name): encode(into:) differs from encoded")
    check(room.withUnsafeMutableBytes { message.encode(requestID: frame.requestID, into: UnsafeMutableRawBufferPointer(rebasing: $0[0..<(bytes.count - 1)])) } == nil,
          "\(message.type.name): encode(into:) wrote into a room too short")
    // Vectored: the segments, joined, are the bytes, whatever arrays become segments.
    for threshold in [8, OutgoingFrame.minimumSegmentBytes] {
        let outgoing = message.encodedForWriting(requestID: frame.requestID, hostIsLittleEndian: true, minimumSegmentBytes: threshold)
        check(outgoing.joined == bytes, "\(message.type.name): encodedForWriting (threshold \(threshold)) differs from encoded")
    }
    check(singleFrame(reencoded, maximum: maximum) == frame, "\(message.type.name): re-encoded bytes, other frame")
    let again: Message
    do {
        again = try Message.decode(Frame(type: frame.type, requestID: frame.requestID, payload: message.encodePayload()))
    } catch {
        finding("\(message.type.name): re-encoded message does not decode: \(error)")
    }
    // Equatable compares doubles with ==, under which NaN != NaN and -0.0 == 0.0 (and an array
    // equals itself through shared storage, NaN or not): compare with every NaN replaced by 0, and
    // compare the bytes, which tell -0.0 from 0.0 and one NaN from another.
    check(withoutNaN(again) == withoutNaN(message), "\(message.type.name): decode(encode(m)) != m")
    check(again.encodePayload() == frame.payload, "\(message.type.name): second round trip changed the bytes")
    if case .reject(let reject) = message, let code = reject.rejectCode {
        check(code.rawValue == reject.code && Reject(code: code, reason: reject.reason) == reject, "reject code")
    }
}

/// `message` with every NaN among its doubles replaced by 0, so that `==` is an equivalence.
private func withoutNaN(_ message: Message) -> Message {
    func clean(_ value: Double) -> Double { value.isNaN ? 0 : value }
    switch message {
    case .reference(var body):
        body.vector = body.vector.map(clean)
        return .reference(body)
    case .partialSum(var body):
        body.sum = body.sum.map(clean)
        return .partialSum(body)
    case .scores(var body):
        body.values = body.values.map(clean)
        return .scores(body)
    case .curriculum(var body):
        body.scores = body.scores.map(clean)
        return .curriculum(body)
    case .partPicks(var body):
        body.value = clean(body.value)
        return .partPicks(body)
    case .taskResult(var body):
        body.values = body.values.map(clean)
        return .taskResult(body)
    case .weights(var body):
        body.values = body.values.map(clean)
        return .weights(body)
    case .hello, .welcome, .reject, .ready, .heartbeat, .assign, .shardFailed, .done, .error, .assignPart,
        .challenge, .auth, .authProof, .assignTask:
        return message
    }
}

/// The one frame `bytes` holds, given to a new decoder in one append; fails the run unless the
/// decoder yields exactly one frame and keeps no byte. (Splitting is the chunked pass's job.)
private func singleFrame(_ bytes: [UInt8], maximum: Int) -> Frame? {
    var decoder = FrameDecoder(maximumFrameLength: maximum)
    decoder.append(bytes)
    do {
        let frame = try decoder.next()
        let extra = try decoder.next()
        check(frame != nil && extra == nil && decoder.bufferedByteCount == 0, "not exactly one frame")
        return frame
    } catch {
        finding("the encoding of a decoded frame does not decode: \(error)")
    }
}

/// Check 5 for Message.decode: the error is the one docs/protocol.md prescribes, in its order
/// (version, then type, then fields), and names the message.
private func checkDecodeError(_ error: WireError, frame: Frame) {
    let type = MessageType(rawValue: frame.type)
    switch error.code {
    case .unsupportedVersion:
        check(frame.version != Wire.protocolVersion, "unsupportedVersion for version \(frame.version)")
    case .unknownMessageType:
        check(frame.version == Wire.protocolVersion && type == nil, "unknownMessageType for type \(frame.type)")
    case .malformedField, .trailingBytes:
        guard frame.version == Wire.protocolVersion, let type else {
            finding("\(error.code) for version \(frame.version), type \(frame.type)")
        }
        let named = error.code == .malformedField
            ? error.message.hasPrefix("malformed field \(type.name).")
            : error.message.hasSuffix(" of \(type.name)")
        check(named, "\(error.code) does not name \(type.name): \(error.message)")
    case .frameTooLarge, .frameTooShort, .badMagic:
        finding("Message.decode threw the framing error \(error.code)")
    case .authenticationFailed:
        finding("Message.decode threw authenticationFailed, which only the sealed-frame opener reports")
    }
}

/// Check 5.
private func checkError(_ error: WireError) {
    // Code 8 (authenticationFailed) is the sealed-frame opener's, never the plain codec's.
    check((1...7).contains(error.wireCode), "wire code \(error.wireCode) outside 1...7")
    check(!error.message.isEmpty && error.description == error.message, "bad error message for \(error.code)")
    check(ErrorMessage(error).wireErrorCode == error.code, "ErrorMessage loses the code of \(error.code)")
}

private func bigEndianInteger(_ bytes: ArraySlice<UInt8>, count: Int) -> UInt64 {
    bytes.prefix(count).reduce(0) { $0 << 8 | UInt64($1) }
}

private func check(_ condition: @autoclosure () -> Bool, _ what: @autoclosure () -> String) {
    if !condition() { finding(what()) }
}

/// Reports a finding and traps. An -O build drops the text of preconditionFailure, so it is
/// written to stderr first, where scripts/fuzz.sh finds it.
private func finding(_ what: String) -> Never {
    fputs("wire fuzz finding: \(what)\n", stderr)
    preconditionFailure("wire fuzz finding: \(what)")
}

/// SplitMix64: a tiny deterministic generator for chunk sizes.
private struct SplitMix {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
