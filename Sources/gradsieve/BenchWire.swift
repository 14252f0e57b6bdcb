import ArgumentParser
import Foundation
import SieveCluster
import SieveUV
import SieveWire

/// Frame throughput on loopback against a raw transfer of the same bytes over the same kind of
/// connection (SieveUV on both ends, sender and receiver on their own threads and loops).
///
/// "framed": the sender encodes every message as the cluster's `FrameLink` does
/// (`Message.encodedForWriting`: one buffer for a small frame, a vectored write of the header and
/// the values array itself for a large one), or, when small frames are batched, into the write's
/// buffer (`Message.encode(requestID:into:)`, and, measured alongside,
/// `Message.encode(requestID:appendingTo:)`); the receiver reads straight into a
/// `FrameDecoder` (`TCPConnection.readSpace`) and decodes every message
/// (`append(_:forEachMessage:)`, large arrays received in place).
/// "raw": the sender writes the same number of bytes in the same write sizes, encoded once
/// beforehand; the receiver only counts them.
/// "codec": no sockets; the CPU time per frame of encoding and decoding alone.
struct BenchWire: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wire",
        abstract: "Frame throughput on loopback (large: GB/s, small: frames/s) against raw TCP of the same bytes.")

    @Option(help: "Large frames: score values per frame, comma-separated (8 bytes each; 4 columns).")
    var largeValues: String = "131072,1048576"

    @Option(help: "Large frames: megabytes to send per run.")
    var largeMegabytes: Int = 2048

    @Option(help: "Small frames (assign, 37 bytes) per run.")
    var smallFrames: Int = 2_000_000

    @Option(help: "Small frames batched into writes of this many bytes (the second small-frame figure).")
    var batchBytes: Int = 65_536

    @Option(help: "Runs of each measurement.")
    var repeats: Int = 3

    @Option(help: "Which measurements, comma-separated: large, small (one write per frame), batched, codec (no sockets).")
    var parts: String = "large,small,batched"

    func run() throws {
        let chosen = Set(parts.split(separator: ",").map(String.init))
        if chosen.contains("large") {
            for values in largeValues.split(separator: ",").compactMap({ Int($0) }) {
                try large(values: values)
            }
        }
        if chosen.contains("small") { try small(batched: false) }
        if chosen.contains("batched") { try small(batched: true) }
        if chosen.contains("codec") { try codec() }
    }

    private func large(values count: Int) throws {
        let rows = count / 4
        var generator = SplitMix64Like(seed: 3)
        let values = (0..<(rows * 4)).map { _ in generator.nextDouble() }
        let message = Message.scores(ShardScores(epoch: 1, shard: 0, attempt: 0, rowStart: 0, rowCount: UInt32(rows),
                                                 columns: ["score", "cosine", "grad_norm", "success"], values: values))
        let sample = message.encoded(requestID: 1)
        let frames = max(1, largeMegabytes * 1_000_000 / sample.count)
        let total = frames * sample.count
        var framed: [Double] = [], raw: [Double] = []
        for _ in 0..<repeats {
            var sent = 0
            framed.append(try WireTransfer.run(totalBytes: total, decode: true) {
                guard sent < frames else { return nil }
                sent += 1
                return message.encodedForWriting(requestID: UInt32(truncatingIfNeeded: sent))
            })
            var rawSent = 0
            raw.append(try WireTransfer.run(totalBytes: total, decode: false) {
                guard rawSent < frames else { return nil }
                rawSent += 1
                return .contiguous(sample)
            })
        }
        let gigabytes = Double(total) / 1e9
        let label = "\(sample.count / 1024) KiB frames x \(frames)"
        BenchReport.rate("wire framed \(label)", amount: gigabytes, seconds: framed, unit: "GB/s")
        BenchReport.rate("wire raw \(label)", amount: gigabytes, seconds: raw, unit: "GB/s")
        BenchReport.result("wire framed/raw \(label)", best: (raw.min() ?? 1) / (framed.min() ?? 1),
                           median: BenchClock.median(raw) / BenchClock.median(framed), unit: "x")
    }

    private func small(batched: Bool) throws {
        let message = Message.assign(Assignment(epoch: 1, phase: .score, shard: 7, attempt: 0, rowStart: 28_672, rowCount: 4096))
        let sample = message.encoded(requestID: 1)
        let perWrite = batched ? max(1, batchBytes / sample.count) : 1
        let writes = max(1, smallFrames / perWrite)
        let frames = writes * perWrite
        let total = frames * sample.count
        let rawChunk = [UInt8]((0..<perWrite).flatMap { _ in sample })
        var framed: [Double] = [], appending: [Double] = [], raw: [Double] = []
        for _ in 0..<repeats {
            var sent = 0
            framed.append(try WireTransfer.run(totalBytes: total, decode: true) {
                guard sent < writes else { return nil }
                sent += 1
                if perWrite == 1 { return message.encodedForWriting(requestID: UInt32(truncatingIfNeeded: sent)) }
                // Every frame encoded into the write's buffer (`encode(requestID:into:)`).
                let first = (sent - 1) * perWrite
                return .contiguous([UInt8](unsafeUninitializedCapacity: perWrite * sample.count) { buffer, count in
                    let room = UnsafeMutableRawBufferPointer(buffer)
                    var offset = 0
                    for index in 0..<perWrite {
                        offset += message.encode(
                            requestID: UInt32(truncatingIfNeeded: first + index),
                            into: UnsafeMutableRawBufferPointer(rebasing: room[offset...]))!
                    }
                    count = offset
                })
            })
            if batched {
                var appended = 0
                appending.append(try WireTransfer.run(totalBytes: total, decode: true) {
                    guard appended < writes else { return nil }
                    appended += 1
                    // Every frame appended to the write's array (`encode(requestID:appendingTo:)`).
                    var chunk: [UInt8] = []
                    chunk.reserveCapacity(perWrite * sample.count)
                    for index in 0..<perWrite {
                        message.encode(requestID: UInt32(truncatingIfNeeded: (appended - 1) * perWrite + index), appendingTo: &chunk)
                    }
                    return .contiguous(chunk)
                })
            }
            var rawSent = 0
            raw.append(try WireTransfer.run(totalBytes: total, decode: false) {
                guard rawSent < writes else { return nil }
                rawSent += 1
                return .contiguous(rawChunk)
            })
        }
        let label = "\(sample.count)-byte frames x \(frames), " + (batched ? "\(perWrite) per write" : "one write each")
        BenchReport.rate("wire framed \(label)", amount: Double(frames), seconds: framed, unit: "frames/s")
        if batched {
            BenchReport.rate("wire framed (appendingTo) \(label)", amount: Double(frames), seconds: appending, unit: "frames/s")
        }
        BenchReport.rate("wire raw \(label)", amount: Double(frames), seconds: raw, unit: "frames/s")
        BenchReport.result("wire framed/raw \(label)", best: (raw.min() ?? 1) / (framed.min() ?? 1),
                           median: BenchClock.median(raw) / BenchClock.median(framed), unit: "x")
        if batched {
            BenchReport.result("wire framed (appendingTo)/raw \(label)", best: (raw.min() ?? 1) / (appending.min() ?? 1),
                               median: BenchClock.median(raw) / BenchClock.median(appending), unit: "x")
        }
    }

    /// The CPU time of the codec alone, per frame, on one thread: no sockets, so no kernel copies
    /// and no scheduling, only what framing adds. A "read" is a copy into the decoder's space
    /// (`spaceForNextRead`, in reads of at most 256 KiB, as `TCPConnection` reads); its time is
    /// measured alone and subtracted, as it stands for the kernel's copy that raw TCP makes too.
    private func codec() throws {
        let assign = Message.assign(Assignment(epoch: 1, phase: .score, shard: 7, attempt: 0, rowStart: 28_672, rowCount: 4096))
        let frameSize = assign.encoded().count
        let perChunk = max(1, batchBytes / frameSize)
        let chunkCount = max(1, smallFrames / perChunk)
        let frames = Double(perChunk * chunkCount)
        var appending: [Double] = [], into: [Double] = [], decoding: [Double] = []
        var chunk: [UInt8] = []
        chunk.reserveCapacity(perChunk * frameSize)
        let stream = [UInt8]((0..<perChunk).flatMap { assign.encoded(requestID: UInt32($0)) })
        for _ in 0..<repeats {
            appending.append(BenchClock.time {
                for index in 0..<chunkCount {
                    chunk.removeAll(keepingCapacity: true)
                    for frame in 0..<perChunk {
                        assign.encode(requestID: UInt32(truncatingIfNeeded: index * perChunk + frame), appendingTo: &chunk)
                    }
                }
            } / frames)
            into.append(chunk.withUnsafeMutableBytes { room in
                BenchClock.time {
                    for index in 0..<chunkCount {
                        var offset = 0
                        for frame in 0..<perChunk {
                            offset += assign.encode(
                                requestID: UInt32(truncatingIfNeeded: index * perChunk + frame),
                                into: UnsafeMutableRawBufferPointer(rebasing: room[offset...]))!
                        }
                    }
                }
            } / frames)
            var decoded = 0
            let withCopies = try Self.readAndDecode(stream, times: chunkCount, decode: true) { _ in decoded += 1 }
            let copiesAlone = try Self.readAndDecode(stream, times: chunkCount, decode: false) { _ in }
            guard decoded == Int(frames) else { throw WireTransfer.Failure(description: "decoded \(decoded) of \(frames) frames") }
            decoding.append((withCopies - copiesAlone) / frames)
        }
        let label = "\(frameSize)-byte assign frames, \(perChunk) per chunk"
        BenchReport.result("codec encode(appendingTo:) \(label)", best: 1e9 * appending.min()!, median: 1e9 * BenchClock.median(appending), unit: "ns/frame")
        BenchReport.result("codec encode(into:) \(label)", best: 1e9 * into.min()!, median: 1e9 * BenchClock.median(into), unit: "ns/frame")
        BenchReport.result("codec decode \(label)", best: 1e9 * decoding.min()!, median: 1e9 * BenchClock.median(decoding), unit: "ns/frame")

        for count in largeValues.split(separator: ",").compactMap({ Int($0) }) {
            var generator = SplitMix64Like(seed: 3)
            let values = (0..<count).map { _ in generator.nextDouble() }
            let scores = Message.scores(ShardScores(epoch: 1, shard: 0, attempt: 0, rowStart: 0, rowCount: UInt32(count / 4),
                                                    columns: ["score", "cosine", "grad_norm", "success"], values: values))
            let bytes = scores.encoded(requestID: 1)
            var contiguous: [Double] = [], vectored: [Double] = [], decode: [Double] = []
            for _ in 0..<repeats {
                var total = 0
                contiguous.append(BenchClock.time { for _ in 0..<10 { total &+= scores.encoded(requestID: 2).count } } / 10)
                vectored.append(BenchClock.time { for _ in 0..<10 { total &+= scores.encodedForWriting(requestID: 2).byteCount } } / 10)
                var decoded = 0
                let withCopies = try Self.readAndDecode(bytes, times: 10, decode: true) { message in
                    if case .scores(let body) = message, body.values.count == count { decoded += 1 }
                }
                let copiesAlone = try Self.readAndDecode(bytes, times: 10, decode: false) { _ in }
                guard decoded == 10, total > 0 else { throw WireTransfer.Failure(description: "large frames did not decode") }
                decode.append((withCopies - copiesAlone) / 10)
            }
            let label = "\(bytes.count / 1024) KiB scores frame"
            BenchReport.result("codec encoded (one buffer) \(label)", best: 1e6 * contiguous.min()!, median: 1e6 * BenchClock.median(contiguous), unit: "us/frame")
            BenchReport.result("codec encodedForWriting \(label)", best: 1e6 * vectored.min()!, median: 1e6 * BenchClock.median(vectored), unit: "us/frame")
            BenchReport.result("codec decode \(label)", best: 1e6 * decode.min()!, median: 1e6 * BenchClock.median(decode), unit: "us/frame")
        }
    }

    /// Seconds to pass `stream` `times` times through a decoder the way `TCPConnection` reads
    /// (copies of at most 256 KiB into `spaceForNextRead()`), decoding every message if `decode`,
    /// else only copying (each read into the same 256 KiB buffer, as a raw receiver would).
    private static func readAndDecode(
        _ stream: [UInt8], times: Int, decode: Bool, _ deliver: (Message) -> Void
    ) throws -> Double {
        var decoder = FrameDecoder()
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: TCPConnection.readBufferSize, alignment: 16)
        defer { scratch.deallocate() }
        return try stream.withUnsafeBytes { source in
            try BenchClock.time {
                for _ in 0..<times {
                    var offset = 0
                    while offset < source.count {
                        let space = decode ? decoder.spaceForNextRead() : scratch
                        let count = min(space.count, TCPConnection.readBufferSize, source.count - offset)
                        space.baseAddress!.copyMemory(from: source.baseAddress! + offset, byteCount: count)
                        offset += count
                        if decode {
                            try decoder.append(UnsafeRawBufferPointer(rebasing: space[0..<count])) { message, _ in
                                deliver(message)
                                return true
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Doubles in [0, 1) from a SplitMix64 stream (SieveData's generator is not needed here).
struct SplitMix64Like {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func nextDouble() -> Double { Double(next() >> 11) / Double(1 << 53) }
}

/// One transfer from a sender thread to a receiver thread over loopback TCP.
enum WireTransfer {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Sends the chunks `produce` returns (until nil) and returns the seconds from the first
    /// write to the receipt of the last of `totalBytes` bytes. With `decode`, the receiver
    /// decodes every frame and message; a decoding error fails the run.
    static func run(totalBytes: Int, decode: Bool, produce: @escaping () -> OutgoingFrame?) throws -> Double {
        let state = TransferState()
        let portReady = DispatchSemaphore(value: 0)
        let receiver = Thread {
            do {
                let loop = try EventLoop()
                let listener = try TCPListener(loop: loop, endpoint: Endpoint(host: "127.0.0.1", port: 0))
                state.port = listener.localPort
                try listener.listen { connection in
                    listener.close()
                    var decoder = FrameDecoder()
                    var received = 0
                    if decode { connection.readSpace = { decoder.spaceForNextRead() } }
                    connection.onRead = { [unowned connection] bytes in
                        received += bytes.count
                        state.received = received
                        if decode {
                            do {
                                // Counted in a local, added up per read: a class property
                                // incremented per frame costs an exclusivity check per frame,
                                // which is the benchmark's own overhead, not the codec's.
                                var frames = 0
                                try decoder.append(bytes) { _, _ in
                                    frames += 1
                                    return true
                                }
                                state.frames += frames
                            } catch {
                                state.error = "\(error)"
                                connection.close()
                                return
                            }
                        }
                        if received >= totalBytes {
                            state.end = BenchClock.now()
                            connection.close()
                        }
                    }
                    connection.startReading()
                }
                portReady.signal()  // only now: a connect before listen is refused
                loop.run()
                loop.shutdown()
            } catch {
                state.error = "receiver: \(error)"
                portReady.signal()
            }
            state.receiverDone.signal()
        }
        receiver.start()
        portReady.wait()
        guard state.error == nil else { throw Failure(description: state.error!) }
        let sender = Thread {
            do {
                let loop = try EventLoop()
                TCPConnection.connect(loop: loop, to: Endpoint(host: "127.0.0.1", port: state.port)) { result in
                    let connection: TCPConnection
                    switch result {
                    case let .success(opened): connection = opened
                    case let .failure(error):
                        state.error = "connect to port \(state.port) failed: \(error)"
                        return
                    }
                    // Keep writing while the kernel takes everything; once something is queued,
                    // wait for it to drain, so the sender never holds more than one chunk.
                    let pump = { [unowned connection] in
                        while connection.queuedBytes == 0, let chunk = produce() {
                            connection.write(chunk)
                        }
                    }
                    connection.onDrain = pump
                    connection.onRead = { _ in }
                    connection.onClose = { _ in }
                    connection.startReading()  // sees the receiver's close, which ends this loop
                    state.start = BenchClock.now()
                    pump()
                }
                loop.run()
                loop.shutdown()
            } catch {
                state.error = "sender: \(error)"
            }
            state.senderDone.signal()
        }
        sender.start()
        state.senderDone.wait()
        if state.receiverDone.wait(timeout: .now() + 30) == .timedOut {
            throw Failure(description: "the receiver did not finish: \(state.received) of \(totalBytes) bytes, error \(state.error ?? "none")")
        }
        if let error = state.error { throw Failure(description: error) }
        return state.end - state.start
    }
}

private final class TransferState: @unchecked Sendable {
    var port = 0
    var start = 0.0
    var end = 0.0
    var frames = 0
    var received = 0
    var error: String?
    let senderDone = DispatchSemaphore(value: 0)
    let receiverDone = DispatchSemaphore(value: 0)
}
