import ArgumentParser
import Foundation
import SieveCore
import SieveCluster
import SieveKernels
import SieveSeal
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
/// The receivers add up fields of every message (an assign's first row and row count) and the
/// run fails unless the sum is what was sent.
/// "raw": the sender writes the same number of bytes in the same write sizes, encoded once
/// beforehand; the receiver only counts them. It reads up to 256 KiB at once (`TCPConnection`'s
/// own buffer); the decoder offers 64 KiB, and 256 KiB while reads fill what it offers.
/// "hand-written" (batched small frames): the floor, ``HandWrittenAssign``: the same frames
/// written and parsed by code made for this one message, reading up to 256 KiB at once.
/// For batched small frames each side's thread CPU per frame is printed too (user + system:
/// on loopback the kernel's work is on these threads).
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

    @Option(help: "Sealed part: small frames per run when batched (a tenth of them one write each).")
    var sealedSmallFrames: Int = 500_000

    @Option(help: "Sealed part: megabytes of 8 MiB frames per run.")
    var sealedMegabytes: Int = 1024

    @Option(help: "Runs of each measurement.")
    var repeats: Int = 3

    @Option(help: "Which measurements, comma-separated: large, small (one write per frame), batched, codec (no sockets), sealed (sealed frames against plain, both AEADs), sealed-cpu (sealing and opening alone).")
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
        if chosen.contains("sealed") { try sealed() }
        if chosen.contains("sealed-cpu") { try sealed(cpuOnly: true) }
    }

    private func large(values count: Int) throws {
        let rows = count / 4
        var generator = SplitMix64(seed: 3)
        let values = (0..<(rows * 4)).map { _ in generator.nextDouble() }
        let message = Message.scores(ShardScores(epoch: 1, shard: 0, attempt: 0, rowStart: 0, rowCount: UInt32(rows),
                                                 columns: ["score", "cosine", "grad_norm", "success"], values: values))
        let sample = message.encoded(requestID: 1)
        let frames = max(1, largeMegabytes * 1_000_000 / sample.count)
        let total = frames * sample.count
        var framed: [Double] = [], raw: [Double] = []
        for _ in 0..<repeats {
            var sent = 0
            framed.append(try WireTransfer.run(totalBytes: total, receiver: .decode(checksum: UInt64(frames) * UInt64(rows * 4))) {
                guard sent < frames else { return nil }
                sent += 1
                return message.encodedForWriting(requestID: UInt32(truncatingIfNeeded: sent))
            })
            var rawSent = 0
            raw.append(try WireTransfer.run(totalBytes: total, receiver: .count) {
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

    /// The message of the `index`th small frame: an assign, made where it is encoded, as a
    /// coordinator batching assigns would make them; they differ in shard and first row (4,096
    /// of each), so the compiler knows the case but not the fields.
    @inline(__always)
    static func assign(_ index: Int) -> Message {
        let shard = index & (variety - 1)  // variety is a power of two
        return .assign(Assignment(epoch: 1, phase: .score, shard: UInt32(shard), attempt: 0,
                                  rowStart: UInt64(shard) * 4096, rowCount: 4096))
    }

    /// The same 4,096 messages in an array, for encoding messages whose case the compiler does
    /// not know (`--parts codec`): each is copied out of the array first, as Swift copies an
    /// enum it cannot see into.
    static let assigns: [Message] = (0..<variety).map { assign($0) }

    /// How many different assigns the small-frame benchmarks send, in turn (a power of two).
    static let variety = 4096

    /// What a receiver adding up `WireTransfer.checksum(of:)` over the first `frames` of them gets.
    static func assignChecksum(frames: Int) -> UInt64 {
        (0..<frames).reduce(UInt64(0)) { sum, frame in sum &+ WireTransfer.checksum(of: assign(frame)) }
    }

    private func small(batched: Bool) throws {
        // Assign messages that differ in what a coordinator varies (shard, first row), made and
        // encoded as they are sent: with one constant message the compiler could fold the
        // encoding away (and a receiver that used no field could skip reading them, so the
        // receivers add fields up).
        let frameSize = Self.assign(0).encoded().count
        precondition(frameSize == HandWrittenAssign.frameSize, "an assign frame is \(frameSize) bytes")
        let perWrite = batched ? max(1, batchBytes / frameSize) : 1
        let writes = max(1, smallFrames / perWrite)
        let frames = writes * perWrite
        let total = frames * frameSize
        // What the receiver adds up over the fields it reads (first row + row count).
        let checksum = Self.assignChecksum(frames: frames)
        // Raw sends frames of the same size, encoded beforehand, one chunk in every write. Every
        // sender takes its buffer for writing before each write (a write still queued holds the
        // last one, and then taking it copies it), so that raw pays what the others pay for it.
        var rawChunk = [UInt8]((0..<perWrite).flatMap { Self.assign($0).encoded(requestID: UInt32($0)) })
        var framed: [Double] = [], appending: [Double] = [], raw: [Double] = []
        var framedCPU: [WireTransfer.Times] = [], rawCPU: [WireTransfer.Times] = [], handCPU: [WireTransfer.Times] = []
        var outgoing = [UInt8](repeating: 0, count: perWrite * frameSize)
        for _ in 0..<repeats {
            var sent = 0
            let framedTimes = try WireTransfer.measure(totalBytes: total, receiver: .decode(checksum: checksum)) {
                guard sent < writes else { return nil }
                defer { sent += 1 }
                if perWrite == 1 { return Self.assign(sent).encodedForWriting(requestID: UInt32(truncatingIfNeeded: sent)) }
                // Every frame encoded into the write's buffer (`encode(requestID:into:)`), reused.
                let first = sent * perWrite
                outgoing.withUnsafeMutableBytes { room in
                    var offset = 0
                    for index in first..<(first + perWrite) {
                        offset += Self.assign(index).encode(
                            requestID: UInt32(truncatingIfNeeded: index),
                            into: UnsafeMutableRawBufferPointer(rebasing: room[offset...]))!
                    }
                }
                return .contiguous(outgoing)
            }
            framed.append(framedTimes.seconds)
            framedCPU.append(framedTimes)
            if batched {
                // The floor: the same frames written and parsed by code made for exactly this
                // message (one length, one type), with no codec at all.
                var handSent = 0
                handCPU.append(try WireTransfer.measure(totalBytes: total, receiver: .handWrittenAssign(checksum: checksum)) {
                    guard handSent < writes else { return nil }
                    defer { handSent += 1 }
                    let first = handSent * perWrite
                    outgoing.withUnsafeMutableBytes { room in
                        for index in first..<(first + perWrite) {
                            guard case .assign(let body) = Self.assign(index) else { continue }
                            HandWrittenAssign.write(body, requestID: UInt32(truncatingIfNeeded: index),
                                                    at: room.baseAddress! + (index - first) * HandWrittenAssign.frameSize)
                        }
                    }
                    return .contiguous(outgoing)
                })
                var appended = 0
                appending.append(try WireTransfer.run(totalBytes: total, receiver: .decode(checksum: checksum)) {
                    guard appended < writes else { return nil }
                    defer { appended += 1 }
                    // Every frame appended to the write's array (`encode(requestID:appendingTo:)`).
                    var chunk: [UInt8] = []
                    chunk.reserveCapacity(perWrite * frameSize)
                    for index in (appended * perWrite)..<((appended + 1) * perWrite) {
                        Self.assign(index).encode(requestID: UInt32(truncatingIfNeeded: index), appendingTo: &chunk)
                    }
                    return .contiguous(chunk)
                })
            }
            var rawSent = 0
            let rawTimes = try WireTransfer.measure(totalBytes: total, receiver: .count) {
                guard rawSent < writes else { return nil }
                defer { rawSent += 1 }
                rawChunk.withUnsafeMutableBytes { $0[0] = 0 }  // the length's high byte, as it was
                return .contiguous(rawChunk)
            }
            raw.append(rawTimes.seconds)
            rawCPU.append(rawTimes)
        }
        let label = "\(frameSize)-byte frames x \(frames), " + (batched ? "\(perWrite) per write" : "one write each")
        BenchReport.rate("wire framed \(label)", amount: Double(frames), seconds: framed, unit: "frames/s")
        if batched {
            BenchReport.rate("wire framed (appendingTo) \(label)", amount: Double(frames), seconds: appending, unit: "frames/s")
            BenchReport.rate("wire hand-written \(label)", amount: Double(frames), seconds: handCPU.map(\.seconds), unit: "frames/s")
        }
        BenchReport.rate("wire raw \(label)", amount: Double(frames), seconds: raw, unit: "frames/s")
        BenchReport.result("wire framed/raw \(label)", best: (raw.min() ?? 1) / (framed.min() ?? 1),
                           median: BenchClock.median(raw) / BenchClock.median(framed), unit: "x")
        if batched {
            BenchReport.result("wire framed (appendingTo)/raw \(label)", best: (raw.min() ?? 1) / (appending.min() ?? 1),
                               median: BenchClock.median(raw) / BenchClock.median(appending), unit: "x")
            let hand = handCPU.map(\.seconds)
            BenchReport.result("wire hand-written/raw \(label)", best: (raw.min() ?? 1) / (hand.min() ?? 1),
                               median: BenchClock.median(raw) / BenchClock.median(hand), unit: "x")
        }
        // Where the time goes: each side's thread CPU (user + system) per frame. On loopback the
        // kernel's work is on these threads too, so raw's figures are the kernel's share.
        for (name, times) in [("framed", framedCPU), ("raw", rawCPU), ("hand-written", handCPU)] where !times.isEmpty {
            let perFrame = { (seconds: [Double]) in (1e9 * seconds.min()! / Double(frames), 1e9 * BenchClock.median(seconds) / Double(frames)) }
            let sender = perFrame(times.map(\.senderCPU)), receiver = perFrame(times.map(\.receiverCPU))
            BenchReport.result("wire \(name) sender CPU \(label)", best: sender.0, median: sender.1, unit: "ns/frame")
            BenchReport.result("wire \(name) receiver CPU \(label)", best: receiver.0, median: receiver.1, unit: "ns/frame")
        }
    }

    /// The CPU time of the codec alone, per frame, on one thread: no sockets, so no kernel copies
    /// and no scheduling, only what framing adds. A "read" is a copy into the decoder's space
    /// (`spaceForNextRead`, in reads of at most 256 KiB, as `TCPConnection` reads); its time is
    /// measured alone and subtracted, as it stands for the kernel's copy that raw TCP makes too.
    private func codec() throws {
        let frameSize = Self.assign(0).encoded().count
        let perChunk = max(1, batchBytes / frameSize)
        let chunkCount = max(1, smallFrames / perChunk)
        let frames = Double(perChunk * chunkCount)
        var appending: [Double] = [], into: [Double] = [], unknownCase: [Double] = [], decoding: [Double] = []
        var chunk: [UInt8] = []
        chunk.reserveCapacity(perChunk * frameSize)
        let stream = [UInt8]((0..<perChunk).flatMap { Self.assign($0).encoded(requestID: UInt32($0)) })
        for _ in 0..<repeats {
            appending.append(BenchClock.time {
                for index in 0..<chunkCount {
                    chunk.removeAll(keepingCapacity: true)
                    for frame in 0..<perChunk {
                        Self.assign(index * perChunk + frame).encode(
                            requestID: UInt32(truncatingIfNeeded: index * perChunk + frame), appendingTo: &chunk)
                    }
                }
            } / frames)
            into.append(chunk.withUnsafeMutableBytes { room in
                BenchClock.time {
                    for index in 0..<chunkCount {
                        var offset = 0
                        for frame in 0..<perChunk {
                            offset += Self.assign(index * perChunk + frame).encode(
                                requestID: UInt32(truncatingIfNeeded: index * perChunk + frame),
                                into: UnsafeMutableRawBufferPointer(rebasing: room[offset...]))!
                        }
                    }
                }
            } / frames)
            unknownCase.append(chunk.withUnsafeMutableBytes { room in
                Self.assigns.withUnsafeBufferPointer { messages in
                    BenchClock.time {
                        for index in 0..<chunkCount {
                            var offset = 0
                            for frame in 0..<perChunk {
                                offset += messages[(index * perChunk + frame) & (Self.variety - 1)].encode(
                                    requestID: UInt32(truncatingIfNeeded: index * perChunk + frame),
                                    into: UnsafeMutableRawBufferPointer(rebasing: room[offset...]))!
                            }
                        }
                    }
                }
            } / frames)
            let (withCopies, sum) = try Self.readAndDecode(stream, times: chunkCount, decode: true)
            let (copiesAlone, _) = try Self.readAndDecode(stream, times: chunkCount, decode: false)
            let expected = Self.assignChecksum(frames: perChunk) &* UInt64(chunkCount)
            guard sum == expected else { throw WireTransfer.Failure(description: "decoded sum \(sum), not \(expected)") }
            decoding.append((withCopies - copiesAlone) / frames)
        }
        let label = "\(frameSize)-byte assign frames, \(perChunk) per chunk"
        BenchReport.result("codec encode(appendingTo:) \(label)", best: 1e9 * appending.min()!, median: 1e9 * BenchClock.median(appending), unit: "ns/frame")
        BenchReport.result("codec encode(into:) \(label)", best: 1e9 * into.min()!, median: 1e9 * BenchClock.median(into), unit: "ns/frame")
        BenchReport.result("codec encode(into:), messages of unknown case copied out of an array, \(label)",
                           best: 1e9 * unknownCase.min()!, median: 1e9 * BenchClock.median(unknownCase), unit: "ns/frame")
        BenchReport.result("codec decode \(label)", best: 1e9 * decoding.min()!, median: 1e9 * BenchClock.median(decoding), unit: "ns/frame")

        for count in largeValues.split(separator: ",").compactMap({ Int($0) }).map({ max(4, $0 / 4 * 4) }) {
            var generator = SplitMix64(seed: 3)
            let values = (0..<count).map { _ in generator.nextDouble() }
            let scores = Message.scores(ShardScores(epoch: 1, shard: 0, attempt: 0, rowStart: 0, rowCount: UInt32(count / 4),
                                                    columns: ["score", "cosine", "grad_norm", "success"], values: values))
            let bytes = scores.encoded(requestID: 1)
            var contiguous: [Double] = [], vectored: [Double] = [], decode: [Double] = []
            for _ in 0..<repeats {
                var total = 0
                contiguous.append(BenchClock.time { for _ in 0..<10 { total &+= scores.encoded(requestID: 2).count } } / 10)
                vectored.append(BenchClock.time { for _ in 0..<10 { total &+= scores.encodedForWriting(requestID: 2).byteCount } } / 10)
                let (withCopies, sum) = try Self.readAndDecode(bytes, times: 10, decode: true)
                let (copiesAlone, _) = try Self.readAndDecode(bytes, times: 10, decode: false)
                guard sum == 10 * UInt64(count), total > 0 else { throw WireTransfer.Failure(description: "large frames did not decode") }
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
    /// else only copying (each read into the same 256 KiB buffer, as a raw receiver would), and
    /// the sum of the fields the receivers add up (assign: first row + row count; scores: values).
    private static func readAndDecode(_ stream: [UInt8], times: Int, decode: Bool) throws -> (seconds: Double, sum: UInt64) {
        var decoder = FrameDecoder()
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: TCPConnection.readBufferSize, alignment: 16)
        defer { scratch.deallocate() }
        var sum: UInt64 = 0
        let seconds = try stream.withUnsafeBytes { source in
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
                                sum &+= WireTransfer.checksum(of: message)
                                return true
                            }
                        }
                    }
                }
            }
        }
        return (seconds, sum)
    }
}

extension SplitMix64 {
    /// A double in [0, 1).
    mutating func nextDouble() -> Double { Double(next() >> 11) / Double(1 << 53) }
}

/// One transfer from a sender thread to a receiver thread over loopback TCP.
enum WireTransfer {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// What a receiver adds up over the fields of a message it decoded: an assign's first row
    /// and row count, the number of a scores message's values (the same for every receiver, so
    /// that the compiler cannot skip reading them and the sums can be checked).
    @inline(__always)
    static func checksum(of message: Message) -> UInt64 {
        switch message {
        case .assign(let body): body.rowStart &+ UInt64(body.rowCount)
        case .scores(let body): UInt64(body.values.count)
        default: 0
        }
    }

    /// What the receiving side does with the bytes.
    enum Receiver {
        /// Counts them (raw TCP).
        case count
        /// Decodes every frame and message with a `FrameDecoder` and adds up ``checksum(of:)``;
        /// the run fails unless the sum is `checksum`, so every frame was decoded, and decoded right.
        case decode(checksum: UInt64)
        /// Parses 37-byte `assign` frames with ``HandWrittenAssign`` (checking length, magic,
        /// version and type) and adds up the same fields, to be `checksum`.
        case handWrittenAssign(checksum: UInt64)
        /// Sealed frames: a `FrameOpener` (reads into its buffer) opens each with `key`, and a
        /// `FrameDecoder` decodes the plain frame; the sum as in `decode`.
        case sealed(checksum: UInt64, key: [UInt8], algorithm: SealAlgorithm)
    }

    /// Sends the chunks `produce` returns (until nil) and returns the seconds from the first
    /// write to the receipt of the last of `totalBytes` bytes; a decoding error, or a checksum
    /// that differs, fails the run.
    static func run(totalBytes: Int, receiver: Receiver, produce: @escaping () -> OutgoingFrame?) throws -> Double {
        try measure(totalBytes: totalBytes, receiver: receiver, produce: produce).seconds
    }

    /// What one transfer took: wall seconds from the first write to the last byte's receipt, and
    /// the CPU seconds (user and system, so the kernel's copies count) of each side's thread.
    struct Times {
        var seconds: Double
        var senderCPU: Double
        var receiverCPU: Double
    }

    /// The CPU seconds (user + system) the calling thread has used so far.
    static func threadCPUSeconds() -> Double {
        var time = timespec()
        guard clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time) == 0 else { return 0 }
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }

    /// ``run(totalBytes:receiver:produce:)`` with each side's CPU time.
    static func measure(totalBytes: Int, receiver mode: Receiver, produce unsendable: @escaping () -> OutgoingFrame?) throws -> Times {
        let produce = SenderOnly(unsendable)
        let state = TransferState()
        let portReady = DispatchSemaphore(value: 0)
        let receiver = Thread {
            let cpuAtStart = threadCPUSeconds()
            do {
                let loop = try EventLoop()
                let listener = try TCPListener(loop: loop, endpoint: Endpoint(host: "127.0.0.1", port: 0))
                state.port = listener.localPort
                try listener.listen { connection in
                    listener.close()
                    var decoder = FrameDecoder()
                    let parser = HandWrittenAssign.Parser()
                    var opener = FrameOpener()
                    var received = 0
                    // Added up in locals, stored per read: a class property changed per frame
                    // costs an exclusivity check per frame, the benchmark's overhead, not the codec's.
                    var sum: UInt64 = 0
                    switch mode {
                    case .count: break
                    case .decode: connection.readSpace = { decoder.spaceForNextRead() }
                    case .handWrittenAssign: connection.readSpace = { parser.spaceForNextRead() }
                    case let .sealed(_, key, algorithm):
                        opener = FrameOpener(algorithm: algorithm)
                        opener.startOpening(key: key)
                        connection.readSpace = { opener.spaceForNextRead() }
                    }
                    connection.onRead = { [unowned connection] bytes in
                        received += bytes.count
                        state.received = received
                        do {
                            switch mode {
                            case .count: break
                            case .decode:
                                try decoder.append(bytes) { message, _ in
                                    sum &+= checksum(of: message)
                                    return true
                                }
                            case .handWrittenAssign:
                                try parser.append(bytes) { rowStart, rowCount in sum &+= rowStart &+ UInt64(rowCount) }
                            case .sealed:
                                opener.append(bytes)
                                while try opener.withNextFrame({ frame in
                                    try decoder.append(frame) { message, _ in
                                        sum &+= checksum(of: message)
                                        return true
                                    }
                                }) != nil {}
                            }
                        } catch {
                            state.error = "\(error)"
                            connection.close()
                            return
                        }
                        if received >= totalBytes {
                            state.end = BenchClock.now()
                            switch mode {
                            case .count: break
                            case let .decode(checksum), let .handWrittenAssign(checksum), let .sealed(checksum, _, _):
                                if sum != checksum { state.error = "the receiver's checksum is \(sum), not \(checksum)" }
                            }
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
            state.receiverCPU = threadCPUSeconds() - cpuAtStart
            state.receiverDone.signal()
        }
        receiver.start()
        portReady.wait()
        if let error = state.error { throw Failure(description: error) }
        let sender = Thread {
            let cpuAtStart = threadCPUSeconds()
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
                        while connection.queuedBytes == 0, let chunk = produce.call() {
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
            state.senderCPU = threadCPUSeconds() - cpuAtStart
            state.senderDone.signal()
        }
        sender.start()
        state.senderDone.wait()
        if state.receiverDone.wait(timeout: .now() + 30) == .timedOut {
            throw Failure(description: "the receiver did not finish: \(state.received) of \(totalBytes) bytes, error \(state.error ?? "none")")
        }
        if let error = state.error { throw Failure(description: error) }
        return Times(seconds: state.end - state.start, senderCPU: state.senderCPU, receiverCPU: state.receiverCPU)
    }
}

/// What the sender, the receiver and the caller share. The semaphores order most of it; the
/// bytes received and the error are behind a lock, because a caller that gives up on a
/// receiver (after 30 s) reads them while the receiver may still write them.
///
/// `@unchecked Sendable`, and why that holds: `port` is written by the receiver before it
/// signals `portReady`, after which the sender and the caller only read it; `start` and
/// `senderCPU` are written by the sender before `senderDone`, `end` and `receiverCPU` by the
/// receiver before `receiverDone`, and the caller reads them only after waiting for both (on a
/// time-out it throws without reading them); `received` and `error` are behind `lock`.
private final class TransferState: @unchecked Sendable {
    var port = 0
    var start = 0.0
    var end = 0.0
    var senderCPU = 0.0
    var receiverCPU = 0.0
    let senderDone = DispatchSemaphore(value: 0)
    let receiverDone = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var _received = 0
    private var _error: String?

    /// Bytes the receiver has taken so far (written once per read).
    var received: Int {
        get { lock.withLock { _received } }
        set { lock.withLock { _received = newValue } }
    }

    /// The first thing that went wrong, if anything.
    var error: String? {
        get { lock.withLock { _error } }
        set { lock.withLock { if _error == nil { _error = newValue } } }
    }
}

/// The floor the codec is measured against: an `assign` frame written and parsed by code made
/// for that one message, with the frame's layout as constants (docs/protocol.md) and no
/// codec. It checks what the codec checks of an assign that it does not read into a value
/// (length, magic, version, type, a known phase) and reads the fields the benchmark's receivers
/// add up; the codec also reads epoch, shard and attempt into the message.
enum HandWrittenAssign {
    static let frameSize = 37

    /// The frame's bytes at `target` (37 bytes).
    static func write(_ body: Assignment, requestID: UInt32, at target: UnsafeMutableRawPointer) {
        target.storeBytes(of: UInt32(frameSize - 4).bigEndian, as: UInt32.self)
        target.storeBytes(of: Wire.magic.bigEndian, toByteOffset: 4, as: UInt16.self)
        target.storeBytes(of: Wire.protocolVersion, toByteOffset: 6, as: UInt8.self)
        target.storeBytes(of: MessageType.assign.rawValue, toByteOffset: 7, as: UInt8.self)
        target.storeBytes(of: requestID.bigEndian, toByteOffset: 8, as: UInt32.self)
        target.storeBytes(of: body.epoch.bigEndian, toByteOffset: 12, as: UInt32.self)
        target.storeBytes(of: body.phase.rawValue, toByteOffset: 16, as: UInt8.self)
        target.storeBytes(of: body.shard.bigEndian, toByteOffset: 17, as: UInt32.self)
        target.storeBytes(of: body.attempt.bigEndian, toByteOffset: 21, as: UInt32.self)
        target.storeBytes(of: body.rowStart.bigEndian, toByteOffset: 25, as: UInt64.self)
        target.storeBytes(of: body.rowCount.bigEndian, toByteOffset: 33, as: UInt32.self)
    }

    /// Cuts a stream of assign frames, read into its own 256 KiB buffer.
    final class Parser {
        private let buffer = UnsafeMutableRawPointer.allocate(byteCount: TCPConnection.readBufferSize, alignment: 16)
        /// Bytes of an incomplete frame at the front of the buffer.
        private var carried = 0

        func spaceForNextRead() -> UnsafeMutableRawBufferPointer {
            UnsafeMutableRawBufferPointer(start: buffer + carried, count: TCPConnection.readBufferSize - carried)
        }

        /// Takes bytes read into ``spaceForNextRead()`` and hands each frame's first row and
        /// row count to `use`; a frame with another header or an unknown phase fails.
        func append(_ bytes: UnsafeRawBufferPointer, _ use: (UInt64, UInt32) -> Void) throws {
            precondition(bytes.isEmpty || bytes.baseAddress == UnsafeRawPointer(buffer + carried), "not read into spaceForNextRead()")
            let end = carried + bytes.count
            // length 33, then "GS", version, type, as one big-endian u64
            let expected = UInt64(frameSize - 4) << 32 | UInt64(Wire.magic) << 16
                | UInt64(Wire.protocolVersion) << 8 | UInt64(MessageType.assign.rawValue)
            var index = 0
            while end - index >= frameSize {
                let frame = UnsafeRawPointer(buffer + index)
                let phase = frame.load(fromByteOffset: 16, as: UInt8.self)
                guard UInt64(bigEndian: frame.loadUnaligned(as: UInt64.self)) == expected, phase >= 1, phase <= 3 else {
                    throw WireTransfer.Failure(description: "not an assign frame (or an unknown phase) at offset \(index) of a read")
                }
                use(UInt64(bigEndian: frame.loadUnaligned(fromByteOffset: 25, as: UInt64.self)),
                    UInt32(bigEndian: frame.loadUnaligned(fromByteOffset: 33, as: UInt32.self)))
                index += frameSize
            }
            carried = end - index
            if carried > 0 { buffer.copyMemory(from: buffer + index, byteCount: carried) }
        }

        deinit { buffer.deallocate() }
    }
}

/// The sender's frame source. `@unchecked Sendable` holds because only the sender thread calls
/// it (the closure and what it captures are used by no other thread once that thread started).
private struct SenderOnly: @unchecked Sendable {
    let call: () -> OutgoingFrame?
    init(_ call: @escaping () -> OutgoingFrame?) { self.call = call }
}
