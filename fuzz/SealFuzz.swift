// libFuzzer entry point for SieveSeal's FrameOpener: the reader of a connection with a cluster
// token, which cuts plain handshake frames, switches to sealed frames, opens them and hands the
// plain frames to a FrameDecoder (docs/protocol.md section 8).
//
// Built by scripts/fuzz-seal.sh: SieveWire and SieveSeal (and swift-crypto) compiled by SwiftPM
// with -sanitize=fuzzer,address, this file linked against them with swiftc.
//
// Input layout:
//   byte 0, control: bits 0-6 the largest chunk the stream is appended in (0 = all at once,
//     1 = byte by byte, n = chunks of 1...n bytes from a generator seeded by the input);
//     bit 7: the maximum frame length is 64 bytes instead of 1 MiB.
//   byte 1, setup: bits 0-1 how many segments go plain before the switch (the handshake);
//     bit 2: ChaCha20-Poly1305 instead of AES-256-GCM.
//   then segments, until the input ends:
//     tag byte t, u16 big-endian n, then n bytes (fewer if the input ends):
//       t even: a frame whose bytes after the length field are those n bytes (padded to the
//               8-byte header rest): plain before the switch, sealed by a FrameSealer after it;
//       t odd:  the n bytes go into the stream as they are (garbage, injected or replayed bytes).
//
// Checks, each a preconditionFailure (a libFuzzer crash) when it fails:
//   1. Splitting does not matter: chunked appends hand over the same frames and end with the
//      same error (or the same buffered count) as one append.
//   2. Authenticity: every frame handed over after the switch is the next frame the sealer
//      sealed, in order; nothing else is ever accepted, whatever bytes were mixed in.
//   3. Without raw segments and within the maximum, every frame comes out, plain then opened,
//      and there is no error.
//   4. The opener throws only frameTooLarge, frameTooShort, authenticationFailed or a
//      malformedField naming sealed.length; the decoder of the handed-over frames only wire
//      codes 1...7.

#if canImport(Glibc)
import Glibc
#endif
import SieveSeal
import SieveWire

private let key = [UInt8](repeating: 0x5a, count: 32)

private struct Outcome: Equatable {
    var handed: [[UInt8]] = []
    var error: WireError?
    var buffered = 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func sealFuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data, size >= 2 else { return 0 }
    let input = Array(UnsafeBufferPointer(start: data, count: size))
    let control = input[0]
    let plainCount = Int(input[1] & 3)
    let algorithm: SealAlgorithm = input[1] & 4 != 0 ? .chaChaPoly : .aesGCM
    let maximum = control & 0x80 != 0 ? 64 : 1 << 20

    // Build the stream and remember what was sent how.
    var stream: [UInt8] = []
    var plainFrames: [[UInt8]] = []
    var sealedFrames: [[UInt8]] = []
    var hasRaw = false
    var fits = true
    var sealer = FrameSealer(key: key, algorithm: algorithm)
    var index = 2
    var segment = 0
    while index < input.count {
        let tag = input[index]
        let count = index + 2 < input.count ? Int(input[index + 1]) << 8 | Int(input[index + 2]) : 0
        let body = Array(input[min(index + 3, input.count)..<min(index + 3 + count, input.count)])
        index += 3 + count
        if tag & 1 == 1 {
            stream += body
            hasRaw = true
            continue
        }
        let rest = body.count >= 8 ? body : body + [UInt8](repeating: 0, count: 8 - body.count)
        let length = UInt32(rest.count)
        let frame = [UInt8(length >> 24), UInt8(truncatingIfNeeded: length >> 16), UInt8(truncatingIfNeeded: length >> 8),
                     UInt8(truncatingIfNeeded: length)] + rest
        if rest.count > maximum { fits = false }
        if segment < plainCount {
            plainFrames.append(frame)
            stream += frame
        } else {
            sealedFrames.append(frame)
            stream += try! sealer.seal(frame)
        }
        segment += 1
    }

    let whole = run(stream, plainCount: plainCount, algorithm: algorithm, maximum: maximum, largestChunk: 0, seed: 0)
    let largestChunk = Int(control & 0x7f)
    if largestChunk != 0 {
        let chunked = run(stream, plainCount: plainCount, algorithm: algorithm, maximum: maximum, largestChunk: largestChunk,
                          seed: UInt64(size) &* 0x9E37_79B9_7F4A_7C15 ^ UInt64(control))
        check(chunked == whole, "chunked reading differs from one append: \(chunked.handed.count) vs \(whole.handed.count) frames, "
              + "\(String(describing: chunked.error)) vs \(String(describing: whole.error))")
    }

    // 2. After the switch, only the sealer's frames, in order.
    if whole.handed.count > plainCount {
        let opened = Array(whole.handed[plainCount...])
        check(opened.count <= sealedFrames.count && Array(sealedFrames.prefix(opened.count)) == opened,
              "a frame was accepted that the sealer did not seal in that place")
    }
    // 3. A clean stream comes out whole.
    if !hasRaw && fits {
        check(whole.error == nil, "a clean stream failed: \(String(describing: whole.error))")
        check(whole.handed == plainFrames + sealedFrames, "a clean stream lost frames")
        check(whole.buffered == 0, "a clean stream left \(whole.buffered) bytes")
    }
    if let error = whole.error {
        let allowed: Set<WireError.Code> = [.frameTooLarge, .frameTooShort, .authenticationFailed, .malformedField]
        check(allowed.contains(error.code), "unexpected opener error \(error)")
        if error.code == .malformedField { check(error.message.contains("sealed.length"), "unexpected \(error)") }
        check(!error.message.isEmpty, "an error without a message")
    }
    return 0
}

/// Feeds `stream` to an opener (in chunks of up to `largestChunk` bytes, or at once), switching
/// it to sealed frames after `plainCount` frames, and decodes every frame it hands over.
private func run(_ stream: [UInt8], plainCount: Int, algorithm: SealAlgorithm, maximum: Int, largestChunk: Int, seed: UInt64) -> Outcome {
    var opener = FrameOpener(maximumFrameLength: maximum, algorithm: algorithm)
    var outcome = Outcome()
    var generator = seed | 1
    var offset = 0
    if plainCount == 0 { opener.startOpening(key: key) }
    while offset < stream.count || offset == 0 {
        var count = stream.count - offset
        if largestChunk > 0 {
            generator ^= generator << 13; generator ^= generator >> 7; generator ^= generator << 17
            count = min(count, 1 + Int(generator % UInt64(largestChunk)))
        }
        // Half the reads go into the offered space, half are copied in.
        if generator & 2 == 0 {
            let space = opener.spaceForNextRead()
            let taken = min(count, space.count)
            stream.withUnsafeBytes { space.baseAddress!.copyMemory(from: $0.baseAddress! + offset, byteCount: taken) }
            opener.append(UnsafeRawBufferPointer(rebasing: space[0..<taken]))
            count = taken
        } else {
            stream[offset..<(offset + count)].withUnsafeBytes { opener.append($0) }
        }
        offset += count
        do {
            while let frame = try opener.next() {
                outcome.handed.append(frame)
                if outcome.handed.count == plainCount { opener.startOpening(key: key) }
                var decoder = FrameDecoder(maximumFrameLength: maximum)
                decoder.append(frame)
                do {
                    while try decoder.nextMessage() != nil {}
                } catch let error as WireError {
                    check((1...7).contains(error.wireCode), "decoder error with wire code \(error.wireCode)")
                } catch {
                    check(false, "decoder threw \(error)")
                }
            }
        } catch let error as WireError {
            outcome.error = error
            // Final: every later call throws the same.
            do { _ = try opener.next(); check(false, "the opener went on after \(error)") } catch let again as WireError {
                check(again == error, "the opener threw \(again) after \(error)")
            } catch { check(false, "\(error)") }
            break
        } catch {
            check(false, "the opener threw \(error)")
        }
        if stream.isEmpty { break }
    }
    outcome.buffered = outcome.error == nil ? opener.bufferedCount : 0
    return outcome
}

private func check(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition {
        fputs("seal fuzz finding: \(message())\n", stderr)
        preconditionFailure("seal fuzz finding")
    }
}
