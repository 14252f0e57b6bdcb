import SieveCore
import Foundation
import SieveData
import SievePolicy

/// Signals computed live from the built-in policy, as a `SignalSource`: row i of the pool is
/// train problem i of the manifest's task generator (with `chunkRows`, problem
/// `chunkStart(epoch) + i` of the epoch's chunk); its `grad` is the projected GRPO gradient
/// of the current weights, `success` the mean reward of its rollouts, `angle` GAIN-RL's angle
/// concentration. Rollouts are seeded by (seed, epoch, split, problem index, rollout), so a row's signals
/// never depend on which worker computed them.
///
/// `@unchecked Sendable` holds because every stored `var` (the policy, the epoch, the version,
/// the cache) is read and written only while `lock` is held; a `Policy` is never mutated once
/// stored here (`update` stores a new one), so a reference taken under the lock may be used
/// outside it; the `let`s are immutable.
public final class LiveSignals: SignalSource, @unchecked Sendable {
    public let manifest: LiveManifest
    public let fingerprint: UInt64
    private let projection: GradientProjection
    private let lock = NSLock()
    private var policy: Policy
    private var epoch: UInt64 = 1
    private var version: UInt32 = 0
    private var cache: [CacheKey: ProblemBlock] = [:]
    private var cacheOrder: [CacheKey] = []

    struct CacheKey: Hashable {
        var validation: Bool
        var row: Int
        var count: Int
        var version: UInt32
        var epoch: UInt64
    }

    struct ProblemBlock {
        var gradients: [Float]
        var success: [Float]
        var angle: [Float]
    }

    public init(manifestPath: String) throws {
        manifest = try LiveManifest.read(manifestPath)
        let checkpoint = manifest.checkpoint.hasPrefix("/") ? manifest.checkpoint
            : (manifestPath as NSString).deletingLastPathComponent + "/" + manifest.checkpoint
        do { policy = try Policy.load(from: checkpoint) } catch { throw WorkerFailure("\(error)") }
        projection = GradientProjection(seed: manifest.seed, config: policy.config, outputDimension: manifest.projectionDimension)
        var hasher = WordHasher()
        hasher.combine("gradsieve-live-v2")  // v2: task families, chunks, sampled evaluation
        hasher.combine(FileManager.default.contents(atPath: manifestPath).map { [UInt8]($0) } ?? [])
        hasher.combine(FileManager.default.contents(atPath: checkpoint).map { [UInt8]($0) } ?? [])
        fingerprint = hasher.value
    }

    /// The current weights, shared read-only with the computations that use them.
    public var currentPolicy: Policy {
        lock.lock()
        defer { lock.unlock() }
        return policy
    }

    /// New weights (and the epoch whose rollouts the next signals use), from the coordinator.
    public func update(parameters: [Float], version: UInt32, epoch: UInt64) {
        lock.lock()
        let next = Policy(config: policy.config, parameters: parameters)
        policy = next
        self.version = version
        self.epoch = epoch
        cache.removeAll()
        cacheOrder.removeAll()
        lock.unlock()
    }

    public var rowCount: Int { manifest.epochRows }
    public var validationRowCount: Int { manifest.validationRows }
    public var dimension: Int? { manifest.projectionDimension }
    public var gradType: DType? { .f32 }
    public var validationGradType: DType? { .f32 }
    public var rewardEpochs: Int? { nil }
    public var tensorNames: Set<String> { ["row", "grad", "success", "angle"] }

    public func segments(rows: Range<Int>) -> [RowSegment] {
        rows.isEmpty ? [] : [RowSegment(file: 0, fileRow: rows.lowerBound, row: rows.lowerBound, count: rows.count)]
    }

    public func validationSegments(rows: Range<Int>) -> [RowSegment] { segments(rows: rows) }

    public func withGradBytes<R>(_ segment: RowSegment, validation: Bool, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        let block = self.block(segment, validation: validation)
        return try block.gradients.withUnsafeBytes { try body($0) }
    }

    public func signal(_ name: String, _ segment: RowSegment) throws -> [Float]? {
        switch name {
        case "success": return block(segment, validation: false).success
        case "angle": return block(segment, validation: false).angle
        default: return nil
        }
    }

    /// The rows' success from their rollouts alone (the same rollouts, so the same values, as
    /// the full signals), without the gradients and angles nobody asked for; the full block
    /// when it is already cached.
    public func successOnly(_ segment: RowSegment) throws -> [Float]? {
        lock.lock()
        let key = CacheKey(validation: false, row: segment.row, count: segment.count, version: version, epoch: epoch)
        if let hit = cache[key] {
            lock.unlock()
            return hit.success
        }
        let policy = self.policy, epoch = self.epoch
        lock.unlock()
        let rollouts = manifest.rollouts
        return trainProblems(segment.row..<(segment.row + segment.count), epoch: epoch).map { problem in
            // Rewards are 0 or 1, so the mean times G is the exact count of scored rollouts;
            // dividing it in Float gives the very value `GRPO.signals` reports as success.
            let mean = GRPO.meanReward(policy: policy, problems: [problem], rollouts: rollouts, seed: manifest.seed, epoch: epoch)
            return Float((mean * Double(rollouts)).rounded()) / Float(rollouts)
        }
    }

    public func origin(of segment: RowSegment, validation: Bool) -> String {
        let version = lock.withLock { self.version }
        return "live policy (\(validation ? "validation" : "train") problems \(segment.row)..<\(segment.row + segment.count), weights version \(version))"
    }

    /// The signals of a block of problems, computed once per weights version and kept for the
    /// next caller (a shard reads grad, then success, of the same rows).
    private func block(_ segment: RowSegment, validation: Bool) -> ProblemBlock {
        lock.lock()
        let key = CacheKey(validation: validation, row: segment.row, count: segment.count, version: version, epoch: epoch)
        if let hit = cache[key] {
            lock.unlock()
            return hit
        }
        let policy = self.policy, epoch = self.epoch
        lock.unlock()
        let rows = segment.row..<(segment.row + segment.count)
        let problems = validation ? ArithmeticTasks.problems(.validation, rows, config: manifest.tasks) : trainProblems(rows, epoch: epoch)
        let signals = GRPO.signals(policy: policy, problems: problems, rollouts: manifest.rollouts, seed: manifest.seed,
                                   epoch: epoch, projection: projection, threads: 1)
        let block = ProblemBlock(gradients: signals.flatMap(\.projectedGradient), success: signals.map(\.success),
                                 angle: signals.map(\.angle))
        lock.lock()
        if key.version == version {
            cache[key] = block
            cacheOrder.append(key)
            if cacheOrder.count > 16 { cache[cacheOrder.removeFirst()] = nil }
        }
        lock.unlock()
        return block
    }

    /// A data-parallel share of a GRPO step: the summed per-problem gradients of `rows` (in row
    /// order, Float32 as `GRPO.gradientSum` adds them), then the rollouts' reward sum and count.
    /// `epoch` is the assignment's curriculum epoch (which chunk its rows are in); nil takes the
    /// epoch of the latest weights.
    public func trainTask(rows: [Int], step: UInt64, epoch: Int? = nil) -> [Double] {
        lock.lock()
        let policy = self.policy, latest = Int(self.epoch)
        lock.unlock()
        let epoch = epoch ?? latest
        let problems = rows.map { ArithmeticTasks.problem(.train, index: manifest.problemIndex(row: $0, epoch: epoch), config: manifest.tasks) }
        var gradient = [Float](repeating: 0, count: policy.parameters.count)
        let (rewardSum, count) = GRPO.gradientSum(policy: policy, problems: problems, rollouts: manifest.rollouts,
                                                  seed: manifest.seed, epoch: step, into: &gradient, threads: 1)
        return gradient.map(Double.init) + [rewardSum, Double(count)]
    }

    /// Test problems `rows` evaluated: greedy-decoding [correct, count], [correct, count] of each
    /// tier in turn, then sampled [correct, count] (`EvaluationCounts`).
    public func evaluationTask(rows: [Int]) -> [Double] {
        let problems = rows.map { ArithmeticTasks.problem(.test, index: $0, config: manifest.tasks) }
        return EvaluationCounts.evaluate(policy: currentPolicy, problems: problems, samples: manifest.evaluationSamples ?? 8,
                                         seed: manifest.seed).values
    }

    /// The train problems of pool rows `rows` in `epoch` (the epoch's chunk, when chunked).
    func trainProblems(_ rows: Range<Int>, epoch: UInt64) -> [Problem] {
        rows.map { ArithmeticTasks.problem(.train, index: manifest.problemIndex(row: $0, epoch: Int(epoch)), config: manifest.tasks) }
    }
}
