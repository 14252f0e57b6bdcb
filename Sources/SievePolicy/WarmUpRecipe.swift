/// A complete warm-up, named by its settings, so a demo can build the same starting policy
/// anywhere (and cache it under a checkpoint). The defaults are the ones measured in
/// docs/policy.md: about 40 s on this machine, perfect on tier 0, a fifth to a third right on
/// tiers 1–3 and almost never right on tier 4.
public struct WarmUpRecipe: Sendable, Equatable {
    /// Shape of the policy.
    public var config: TransformerConfig
    /// Seed of the initial weights.
    public var policySeed: UInt64
    /// Where the warm-up problems come from: clean train-split problems of this task config.
    /// Its own seed keeps them apart from any pool generated with another seed.
    public var tasks: TaskConfig
    /// Indices of the warm-up problems in the train split of `tasks`.
    public var problems: Range<Int>
    public var steps: Int
    public var batchSize: Int
    public var learningRate: Float
    /// Seed of the batch draws.
    public var seed: UInt64

    public init(config: TransformerConfig = .default, policySeed: UInt64 = 1,
                tasks: TaskConfig = TaskConfig(seed: 0x5741_524D), problems: Range<Int> = 0..<20_000,
                steps: Int = 2000, batchSize: Int = 64, learningRate: Float = 3e-3, seed: UInt64 = 1) {
        self.config = config
        self.policySeed = policySeed
        self.tasks = tasks
        self.problems = problems
        self.steps = steps
        self.batchSize = batchSize
        self.learningRate = learningRate
        self.seed = seed
    }

    /// Every setting that changes the resulting weights, as text (label noise and low-utility
    /// problems are always off in a warm-up, so their settings do not count).
    public var summary: String {
        let c = config, t = tasks
        return "v\(c.vocabulary) t\(c.context) w\(c.width) l\(c.layers) h\(c.heads) m\(c.mlpMultiplier) policy-seed \(policySeed) "
            + "task-seed \(t.seed) prefix \(t.prefix) problems \(problems.lowerBound)..<\(problems.upperBound) steps \(steps) "
            + "tiers \(t.tierWeights) too-long-digits \(t.tooLongDigits) batch \(batchSize) lr \(learningRate) seed \(seed) questions split-owned"
    }

    /// A file name for this recipe's checkpoint, `warm-start-<16 hex digits>.ckpt` (FNV-1a of
    /// `summary`): a cache keyed by the recipe, so a changed recipe never reuses stale weights.
    public var checkpointName: String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in summary.utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
        }
        let hex = String(hash, radix: 16)
        return "warm-start-" + String(repeating: "0", count: 16 - hex.count) + hex + ".ckpt"
    }

    /// The recipe of docs/policy.md.
    public static let standard = WarmUpRecipe()

    /// A new policy after the warm-up; the same parameters for any `threads`.
    public func run(threads: Int = 2) -> Policy {
        var clean = tasks
        clean.labelNoise = 0
        clean.lowUtilityShare = 0
        let policy = Policy(config: config, seed: policySeed)
        WarmUp.train(policy: policy, problems: ArithmeticTasks.problems(.train, problems, config: clean), steps: steps,
                     seed: seed, batchSize: batchSize, learningRate: learningRate, threads: threads)
        return policy
    }
}
