import SieveKernels
import SieveSeal
import SieveWire

/// `gradsieve bench wire --parts sealed`: what sealing (docs/protocol.md section 8) costs, for
/// both AEADs swift-crypto offers, against the plain frames of the same messages.
///
/// On loopback, through the same `WireTransfer` as the other parts:
/// - 37-byte `assign` frames, one write per frame (what the coordinator does; a tenth of
///   `--sealed-small-frames`), and batched into writes of `--batch-bytes` (plain: encoded into the
///   write's buffer; sealed: each frame sealed on its own, as a connection seals every frame, and
///   the sealed frames put one after another into the write's buffer). The receiver reads into
///   a `FrameOpener`, opens each sealed frame and decodes it with a `FrameDecoder`; plain reads
///   into the `FrameDecoder` as the cluster does today.
/// - 8 MiB `scores` frames (1,048,576 values): plain as `FrameLink` sends them (a vectored write
///   of the header and the values array); sealed as `FrameLink` seals: encoded into one buffer,
///   sealed, written, both buffers kept between frames (`SealingScratch`).
/// And the CPU of sealing and opening alone (no sockets, one thread): per 37-byte frame, and
/// per 8 MiB frame as GB/s.
extension BenchWire {
    func sealed(cpuOnly: Bool = false) throws {
        let keys = SessionKeys.derive(secret: Array("bench token".utf8), challenge: Array(repeating: 1, count: 32),
                                      workerNonce: Array(repeating: 2, count: 32))
        guard !cpuOnly else { return try sealedCPU(keys) }
        try sealedSmall(keys, batched: false)
        try sealedSmall(keys, batched: true)
        try sealedLarge(keys)
        try sealedCPU(keys)
    }

    /// `batched`: many frames per write; else one write per frame (what the coordinator does),
    /// a tenth of the frames.
    private func sealedSmall(_ keys: SessionKeys, batched: Bool) throws {
        let frameSize = Self.assign(0).encoded().count
        let perWrite = batched ? max(1, batchBytes / (frameSize + Seal.overhead)) : 1
        let writes = max(1, (batched ? sealedSmallFrames : sealedSmallFrames / 10) / perWrite)
        let frames = writes * perWrite
        let checksum = Self.assignChecksum(frames: frames)
        var plain: [Double] = []
        var sealed: [SealAlgorithm: [Double]] = [:]
        var outgoing = [UInt8](repeating: 0, count: perWrite * frameSize)
        for _ in 0..<repeats {
            var sent = 0
            plain.append(try WireTransfer.run(totalBytes: frames * frameSize, receiver: .decode(checksum: checksum)) {
                guard sent < writes else { return nil }
                defer { sent += 1 }
                let first = sent * perWrite
                outgoing.withUnsafeMutableBytes { room in
                    var offset = 0
                    for index in first..<(first + perWrite) {
                        offset += Self.assign(index).encode(
                            requestID: UInt32(truncatingIfNeeded: index), into: UnsafeMutableRawBufferPointer(rebasing: room[offset...]))!
                    }
                }
                return .contiguous(outgoing)
            })
            for algorithm in SealAlgorithm.allCases {
                var sealer = FrameSealer(key: keys.sendingKey(for: .worker), algorithm: algorithm)
                var sealedSent = 0
                var chunk: [UInt8] = []
                chunk.reserveCapacity(perWrite * (frameSize + Seal.overhead))
                let receiver = WireTransfer.Receiver.sealed(
                    checksum: checksum, key: keys.receivingKey(for: .coordinator), algorithm: algorithm)
                sealed[algorithm, default: []].append(
                    try WireTransfer.run(totalBytes: frames * (frameSize + Seal.overhead), receiver: receiver) {
                        guard sealedSent < writes else { return nil }
                        defer { sealedSent += 1 }
                        chunk.removeAll(keepingCapacity: true)
                        for index in (sealedSent * perWrite)..<((sealedSent + 1) * perWrite) {
                            chunk += try! sealer.seal(Self.assign(index), requestID: UInt32(truncatingIfNeeded: index))
                        }
                        return .contiguous(chunk)
                    })
            }
        }
        let label = "\(frameSize)-byte frames x \(frames), " + (batched ? "\(perWrite) per write" : "one write each")
        BenchReport.rate("wire sealed: plain \(label)", amount: Double(frames), seconds: plain, unit: "frames/s")
        for algorithm in SealAlgorithm.allCases {
            let times = sealed[algorithm]!
            BenchReport.rate("wire sealed: \(algorithm.rawValue) \(label)", amount: Double(frames), seconds: times, unit: "frames/s")
            BenchReport.result("wire sealed: \(algorithm.rawValue)/plain \(label)", best: (plain.min() ?? 1) / (times.min() ?? 1),
                               median: BenchClock.median(plain) / BenchClock.median(times), unit: "x")
        }
    }

    private func sealedLarge(_ keys: SessionKeys) throws {
        let message = Self.largeScores(values: 1 << 20)
        let frameSize = message.encoded(requestID: 1).count
        let frames = max(1, sealedMegabytes * 1_000_000 / frameSize)
        let checksum = UInt64(frames) * UInt64(1 << 20)
        var plain: [Double] = []
        var sealed: [SealAlgorithm: [Double]] = [:]
        for _ in 0..<repeats {
            var sent = 0
            plain.append(try WireTransfer.run(totalBytes: frames * frameSize, receiver: .decode(checksum: checksum)) {
                guard sent < frames else { return nil }
                sent += 1
                return message.encodedForWriting(requestID: UInt32(sent))
            })
            for algorithm in SealAlgorithm.allCases {
                var sealer = FrameSealer(key: keys.sendingKey(for: .worker), algorithm: algorithm)
                var sealedSent = 0
                let scratch = SealingScratch()
                let receiver = WireTransfer.Receiver.sealed(
                    checksum: checksum, key: keys.receivingKey(for: .coordinator), algorithm: algorithm)
                sealed[algorithm, default: []].append(
                    try WireTransfer.run(totalBytes: frames * (frameSize + Seal.overhead), receiver: receiver) {
                        guard sealedSent < frames else { return nil }
                        sealedSent += 1
                        // As FrameLink seals: encoded and sealed in memory kept between frames.
                        return .contiguous(try! sealer.seal(message, requestID: UInt32(sealedSent), using: scratch) { $0 })
                    })
            }
        }
        let gigabytes = Double(frames * frameSize) / 1e9
        let label = "\(frameSize / 1024) KiB frames x \(frames)"
        BenchReport.rate("wire sealed: plain \(label)", amount: gigabytes, seconds: plain, unit: "GB/s")
        for algorithm in SealAlgorithm.allCases {
            let times = sealed[algorithm]!
            BenchReport.rate("wire sealed: \(algorithm.rawValue) \(label)", amount: gigabytes, seconds: times, unit: "GB/s")
            BenchReport.result("wire sealed: \(algorithm.rawValue)/plain \(label)", best: (plain.min() ?? 1) / (times.min() ?? 1),
                               median: BenchClock.median(plain) / BenchClock.median(times), unit: "x")
        }
    }

    /// Sealing and opening alone, on one thread: the sealer's `seal(_:requestID:using:_:)` of a
    /// message, as `FrameLink` seals (encoding included, in memory kept between frames), and the
    /// opener's `withNextFrame` of a sealed frame (the copy into the opener's buffer included).
    private func sealedCPU(_ keys: SessionKeys) throws {
        let small = Self.assign(5)
        let large = Self.largeScores(values: 1 << 20)
        for (message, count) in [(small, 100_000), (large, 20)] {
            let size = message.encoded(requestID: 5).count
            let label = size < 1024 ? "\(size)-byte frame" : "\(size / 1024) KiB frame"
            for algorithm in SealAlgorithm.allCases {
                var sealTimes: [Double] = [], openTimes: [Double] = []
                for _ in 0..<repeats {
                    var sealer = FrameSealer(key: keys.sendingKey(for: .worker), algorithm: algorithm)
                    let scratch = SealingScratch()
                    var total = 0
                    sealTimes.append(BenchClock.time {
                        for _ in 0..<count { total &+= try! sealer.seal(message, requestID: 5, using: scratch) { $0.count } }
                    } / Double(count))
                    // The frames to open: sealed again from counter 0, outside the timing.
                    var again = FrameSealer(key: keys.sendingKey(for: .worker), algorithm: algorithm)
                    let records = (0..<count).map { _ in try! again.seal(message, requestID: 5, using: scratch) { $0 } }
                    var opener = FrameOpener(algorithm: algorithm)
                    opener.startOpening(key: keys.receivingKey(for: .coordinator))
                    var opened = 0
                    openTimes.append(try BenchClock.time {
                        for record in records {
                            opener.append(record)
                            opened += try opener.withNextFrame { $0.count } ?? 0
                        }
                    } / Double(count))
                    guard opened == count * size, total == count * (size + Seal.overhead) else {
                        throw WireTransfer.Failure(description: "sealed \(total), opened \(opened) bytes")
                    }
                }
                if size < 1024 {
                    BenchReport.result("seal cpu: \(algorithm.rawValue) seal \(label)", best: 1e9 * sealTimes.min()!,
                                       median: 1e9 * BenchClock.median(sealTimes), unit: "ns/frame")
                    BenchReport.result("seal cpu: \(algorithm.rawValue) open \(label)", best: 1e9 * openTimes.min()!,
                                       median: 1e9 * BenchClock.median(openTimes), unit: "ns/frame")
                } else {
                    let gigabytes = Double(size) / 1e9
                    BenchReport.result("seal cpu: \(algorithm.rawValue) seal \(label)", best: gigabytes / sealTimes.min()!,
                                       median: gigabytes / BenchClock.median(sealTimes), unit: "GB/s")
                    BenchReport.result("seal cpu: \(algorithm.rawValue) open \(label)", best: gigabytes / openTimes.min()!,
                                       median: gigabytes / BenchClock.median(openTimes), unit: "GB/s")
                }
            }
        }
    }

    /// A `scores` message of `values` values in 4 columns (8 MiB of values for 1,048,576).
    static func largeScores(values count: Int) -> Message {
        var generator = SplitMix64(seed: 3)
        let values = (0..<count).map { _ in generator.nextDouble() }
        return .scores(ShardScores(epoch: 1, shard: 0, attempt: 0, rowStart: 0, rowCount: UInt32(count / 4),
                                   columns: ["score", "cosine", "grad_norm", "success"], values: values))
    }
}
