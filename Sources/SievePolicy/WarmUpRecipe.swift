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
    /// When set, the warm-up stops at the first check (every `checkEvery` steps) whose greedy
    /// accuracy on `bandProblems` clean validation problems of `tasks` lies in this band: a
    /// warm start caught mid-transition, whatever step the transition happens at for this seed.
    /// `steps` is then the most it may take (and the span of the learning-rate schedule).
    public var band: ClosedRange<Double>?
    public var checkEvery: Int
    public var bandProblems: Int
    /// reversed-addition: a first phase of `preSteps` steps on clean train problems drawn with
    /// these component shares (target, easy, hard, distractor) before the main phase on
    /// `tasks.componentShares`; each phase has its own optimizer and schedule. Empty: none.
    public var preShares: [Double]
    public var preSteps: Int

    public init(config: TransformerConfig = .default, policySeed: UInt64 = 1,
                tasks: TaskConfig = TaskConfig(seed: 0x5741_524D), problems: Range<Int> = 0..<20_000,
                steps: Int = 2000, batchSize: Int = 64, learningRate: Float = 3e-3, seed: UInt64 = 1,
                band: ClosedRange<Double>? = nil, checkEvery: Int = 50, bandProblems: Int = 512,
                preShares: [Double] = [], preSteps: Int = 0) {
        self.config = config
        self.policySeed = policySeed
        self.tasks = tasks
        self.problems = problems
        self.steps = steps
        self.batchSize = batchSize
        self.learningRate = learningRate
        self.seed = seed
        self.band = band
        self.checkEvery = checkEvery
        self.bandProblems = bandProblems
        self.preShares = preShares
        self.preSteps = preSteps
    }

    /// Every setting that changes the resulting weights, as text (label noise and low-utility
    /// problems are always off in a warm-up, so their settings do not count).
    public var summary: String {
        let c = config, t = tasks
        return "v\(c.vocabulary) t\(c.context) w\(c.width) l\(c.layers) h\(c.heads) m\(c.mlpMultiplier) policy-seed \(policySeed) "
            + "task-seed \(t.seed) prefix \(t.prefix) problems \(problems.lowerBound)..<\(problems.upperBound) steps \(steps) "
            + "tiers \(t.tierWeights) too-long-digits \(t.tooLongDigits) batch \(batchSize) lr \(learningRate) seed \(seed) questions split-owned"
            + (t.task == .arithmetic ? "" : " task \(t.task.rawValue) shares \(t.componentShares)")
            + (band.map { " band \($0.lowerBound)...\($0.upperBound) every \(checkEvery) on \(bandProblems)" } ?? "")
            + (preSteps > 0 ? " first \(preSteps) steps on shares \(preShares)" : "")
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

    /// The recipe of the arithmetic task (docs/policy.md), `--task arithmetic`.
    public static let standard = WarmUpRecipe()

    /// The recipe of the reversed-addition task (docs/policy.md): supervised on clean target
    /// problems only, checked every 5 steps, stopped at the first check where greedy accuracy on
    /// 512 validation problems is in 0.20...0.35 (the transition takes about 50 steps, so coarser
    /// checks can step over the band). Most mixes of other families tried delay or stall
    /// the transition (measured, docs/policy.md), so the pool's other components are not in it.
    public static let reversedAddition = WarmUpRecipe(
        tasks: TaskConfig(task: .reversedAddition, seed: 0x5741_524D, componentShares: [1, 0, 0, 0]),
        problems: 0..<50_000, steps: 2000, batchSize: 64, learningRate: 3e-3, band: 0.20...0.35, checkEvery: 5)

    /// The recipe of a task family.
    public static func recipe(for task: TaskFamily) -> WarmUpRecipe {
        task == .arithmetic ? standard : reversedAddition
    }

    /// What a warm-up did: the policy, the steps it took, and (with a band) the last check's
    /// validation accuracy and whether it was inside the band.
    public struct Outcome {
        public let policy: Policy
        public let steps: Int
        public let validationAccuracy: Double?
        public var inBand: Bool
    }

    /// A new policy after the warm-up; the same parameters for any `threads`.
    public func run(threads: Int = 2) -> Policy { train(threads: threads).policy }

    /// The warm-up, stopping inside `band` when one is set (or after `steps`, outside it, when
    /// no check ever lands inside: `inBand` says which).
    public func train(threads: Int = 2, progress: ((Int, Double) -> Void)? = nil) -> Outcome {
        var clean = tasks
        clean.labelNoise = 0
        clean.lowUtilityShare = 0
        let policy = Policy(config: config, seed: policySeed)
        if preSteps > 0 {
            var first = clean
            first.componentShares = preShares
            WarmUp.train(policy: policy, problems: ArithmeticTasks.problems(.train, problems, config: first), steps: preSteps,
                         seed: seed &+ 1, batchSize: batchSize, learningRate: learningRate, threads: threads)
        }
        var stoppedAt = band == nil ? steps : 0, last: Double?  // with a band: the step of the last check
        var stop: ((Int, Policy) -> Bool)?
        if let band {
            let checks = ArithmeticTasks.problems(.validation, 0..<bandProblems, config: clean)
            stop = { step, policy in
                let accuracy = Evaluation.accuracy(policy: policy, problems: checks)
                progress?(step, accuracy)
                last = accuracy
                stoppedAt = step
                return band.contains(accuracy)
            }
        }
        WarmUp.train(policy: policy, problems: ArithmeticTasks.problems(.train, problems, config: clean), steps: steps,
                     seed: seed, batchSize: batchSize, learningRate: learningRate, threads: threads,
                     checkEvery: band == nil ? 0 : checkEvery, stop: stop)
        if let stop, band.map({ b in !(last.map { b.contains($0) } ?? false) }) == true, stoppedAt != steps {
            // Never inside the band, and the last check came before the last step: check the
            // weights that are returned.
            _ = stop(steps, policy)
        }
        return Outcome(policy: policy, steps: stoppedAt, validationAccuracy: last, inBand: band.map { b in last.map { b.contains($0) } ?? false } ?? true)
    }
}
