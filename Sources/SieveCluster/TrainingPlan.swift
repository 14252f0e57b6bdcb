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

    public init(batchSize: Int = 32, taskRows: Int = 8, testRows: Int = 512, evaluationTaskRows: Int = 64,
                learningRate: Float = 1e-3, passes: Int = 1) {
        self.batchSize = batchSize
        self.taskRows = taskRows
        self.testRows = testRows
        self.evaluationTaskRows = evaluationTaskRows
        self.learningRate = learningRate
        self.passes = passes
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
}

/// The coordinator's copy of the policy being trained.
struct TrainingState {
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
