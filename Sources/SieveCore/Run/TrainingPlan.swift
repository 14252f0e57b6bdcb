import SievePolicy

/// How a live run trains the built-in policy on each epoch's curriculum, through the cluster:
/// GRPO steps of `batchSize` curriculum rows, each batch split into tasks of `taskRows` rows
/// (fixed by the data, never by the worker count), the tasks' gradient sums added in task order
/// in Float64, AdamW on the coordinator, new weights to every worker. Then the test set, in
/// tasks of `evaluationTaskRows`, gives the epoch's accuracy.
public struct TrainingPlan: Sendable, Equatable {
    public var batchSize: Int
    public var taskRows: Int
    public var testRows: Int
    public var evaluationTaskRows: Int
    public var learningRate: Float
    /// Passes over the curriculum per epoch.
    public var passes: Int
    /// GRPO steps per epoch. When set, the curriculum is repeated in order until this many
    /// batches are filled, whatever `passes` says: a full-data baseline then takes exactly the
    /// steps (and rollouts) a selected curriculum takes.
    public var stepsPerEpoch: Int?

    public init(batchSize: Int = 32, taskRows: Int = 8, testRows: Int = 512, evaluationTaskRows: Int = 64,
                learningRate: Float = 1e-3, passes: Int = 1, stepsPerEpoch: Int? = nil) {
        self.batchSize = batchSize
        self.taskRows = taskRows
        self.testRows = testRows
        self.evaluationTaskRows = evaluationTaskRows
        self.learningRate = learningRate
        self.passes = passes
        self.stepsPerEpoch = stepsPerEpoch
    }

    /// The epoch's GRPO batches: `passes` runs through the curriculum in order, cut into batches
    /// of `batchSize` (the last may be short); or, with `stepsPerEpoch`, exactly that many full
    /// batches of the curriculum repeated in order.
    public func batches(curriculum: [Int]) -> [[Int]] {
        guard !curriculum.isEmpty else { return [] }
        let total = stepsPerEpoch.map { $0 * batchSize } ?? curriculum.count * max(passes, 1)
        let rows = (0..<total).map { curriculum[$0 % curriculum.count] }
        return stride(from: 0, to: rows.count, by: batchSize).map { Array(rows[$0..<min($0 + batchSize, rows.count)]) }
    }

    /// The seed of step `step` of `epoch`'s rollouts, apart from every scoring epoch's.
    static func stepSeed(epoch: Int, step: Int) -> UInt32 { UInt32(1_000_000 + epoch * 10_000 + step) }
}

/// One epoch's outcome of a live run, for metrics.jsonl.
public struct EpochMetrics: Sendable, Equatable {
    public var epoch: Int
    public var selected: Int
    public var trainReward: Double
    public var testAccuracy: Double
    public var steps: Int
    /// Test accuracy of each difficulty tier (nil for a tier without test problems).
    public var testAccuracyByTier: [Double?] = []
    /// Sampled test accuracy: the share of sampled answers (temperature 1) that are right.
    public var sampledAccuracy: Double = 0
}

/// Evaluation counts of test problems, as an evaluation task's result carries them: greedy
/// decoding [correct, count, correct_0, count_0, ..., correct_T-1, count_T-1] with
/// T = `ArithmeticTasks.tiers.count`, then sampled decoding [correct samples, samples].
/// Tasks' counts add up value by value.
public struct EvaluationCounts: Sendable, Equatable {
    public static let length = 4 + 2 * ArithmeticTasks.tiers.count
    public private(set) var values = [Double](repeating: 0, count: length)

    public init() {}

    /// Counts from a task result; nil unless it has `length` finite, non-negative values with
    /// every correct count at most its count.
    public init?(_ values: [Double]) {
        guard values.count == Self.length, values.allSatisfy({ $0.isFinite && $0 >= 0 }),
            stride(from: 0, to: values.count, by: 2).allSatisfy({ values[$0] <= values[$0 + 1] })
        else { return nil }
        self.values = values
    }

    /// The counts of greedy decoding by `policy` on `problems`: what an evaluation task returns,
    /// and the warm start's line of a demo.
    public static func greedy(policy: Policy, problems: [Problem]) -> EvaluationCounts {
        var counts = EvaluationCounts()
        for (problem, ok) in zip(problems, Evaluation.correctness(policy: policy, problems: problems)) {
            counts.add(tier: problem.tier, correct: ok)
        }
        return counts
    }

    /// Greedy counts and `samples` sampled answers per problem (`Evaluation.sampledCorrect`).
    public static func evaluate(policy: Policy, problems: [Problem], samples: Int, seed: UInt64) -> EvaluationCounts {
        var counts = greedy(policy: policy, problems: problems)
        let correct = Evaluation.sampledCorrect(policy: policy, problems: problems, samples: samples, seed: seed)
        counts.values[length - 2] += Double(correct.reduce(0, +))
        counts.values[length - 1] += Double(problems.count * samples)
        return counts
    }

    public mutating func add(tier: Int, correct: Bool) {
        values[1] += 1
        if correct { values[0] += 1 }
        guard (0..<ArithmeticTasks.tiers.count).contains(tier) else { return }
        values[3 + 2 * tier] += 1
        if correct { values[2 + 2 * tier] += 1 }
    }

    public mutating func add(_ other: EvaluationCounts) {
        for i in values.indices { values[i] += other.values[i] }
    }

    public var accuracy: Double { values[1] > 0 ? values[0] / values[1] : 0 }

    /// Sampled accuracy: correct samples over samples (0 when none were drawn).
    public var sampledAccuracy: Double { values[Self.length - 1] > 0 ? values[Self.length - 2] / values[Self.length - 1] : 0 }

    public var accuracyByTier: [Double?] {
        (0..<ArithmeticTasks.tiers.count).map { values[3 + 2 * $0] > 0 ? values[2 + 2 * $0] / values[3 + 2 * $0] : nil }
    }
}

/// The coordinator's copy of the policy being trained.
struct TrainingState: Sendable {
    var parameters: [Float]
    var optimizer: AdamW
    var version: UInt32 = 1
    var curriculum: [Int] = []
    var batches: [[Int]] = []
    var tasks: [[Int]] = []
    var results: [[Double]?] = []
    var rewardSum = 0.0
    var rewardCount = 0.0
    var steps = 0
}
