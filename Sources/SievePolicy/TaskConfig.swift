/// The knobs of the arithmetic task generator, covering the data regimes of the GradAlign paper:
/// noisy labels, tier imbalance and low-utility problems. Only the train split feels
/// `labelNoise`, `lowUtilityShare` and `tierWeights`; validation and test are always clean and
/// drawn with `evaluationTierWeights`.
public struct TaskConfig: Sendable, Equatable {
    /// The task family. `arithmetic` (the default here, so that every older config means what it
    /// meant) or `reversedAddition`, whose pool mixes components (`componentShares`).
    public var task: TaskFamily
    /// Names every problem together with its split and index.
    public var seed: UInt64
    /// Share of regular train problems whose labelled answer is wrong (true answer plus a
    /// non-zero offset of at most 10). Decided by a draw of its own, so raising it keeps every
    /// problem and only adds noisy labels.
    public var labelNoise: Double
    /// Relative weight of each tier in the train split (one per `ArithmeticTasks.tiers`);
    /// need not sum to 1, zero removes a tier.
    public var tierWeights: [Double]
    /// Relative weight of each tier in the validation and test splits.
    public var evaluationTierWeights: [Double]
    /// Share of train problems that are low utility, split evenly between trivial, too long and
    /// malformed-label problems.
    public var lowUtilityShare: Double
    /// The fixed text before every question (GAIN-RL's inter-segment angle needs one).
    public var prefix: String
    /// Digits of each operand of a too-long problem. The default 12 gives a 28-character prompt,
    /// which fits a 32-token context while its 12–13 digit answer does not.
    public var tooLongDigits: Int
    /// reversed-addition only: relative weights of the reliable components of the train split,
    /// in the order target, easy, hard, distractor (`ReversedAdditionTasks.componentOrder`).
    /// `labelNoise` is the share of `unreliable` problems; the rest is split by these weights.
    /// The default 4, 1, 1, 2 with 0.2 noise gives 40% target, 10% easy, 10% hard, 20%
    /// unreliable, 20% distractor.
    public var componentShares: [Double]

    public init(task: TaskFamily = .arithmetic, seed: UInt64 = 0, labelNoise: Double = 0, tierWeights: [Double]? = nil,
                evaluationTierWeights: [Double]? = nil, lowUtilityShare: Double = 0,
                prefix: String = "Q:", tooLongDigits: Int = 12, componentShares: [Double]? = nil) {
        let uniform = [Double](repeating: 1, count: ArithmeticTasks.tiers.count)
        self.task = task
        self.componentShares = componentShares ?? ReversedAdditionTasks.defaultShares
        self.seed = seed
        self.labelNoise = labelNoise
        self.tierWeights = tierWeights ?? uniform
        self.evaluationTierWeights = evaluationTierWeights ?? uniform
        self.lowUtilityShare = lowUtilityShare
        self.prefix = prefix
        self.tooLongDigits = tooLongDigits
    }

    /// Clean and balanced: no noise, no low-utility problems, every tier equally likely.
    public static let clean = TaskConfig()
}
