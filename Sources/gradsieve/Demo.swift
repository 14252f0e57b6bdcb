import ArgumentParser
import Foundation
import Logging
import SieveCore
import SieveCluster
import SieveData
import SievePolicy
import SieveSelect
import SieveUV

struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train the built-in policy with gradsieve's curricula: the whole loop on one machine.",
        discussion: """
        Workers compute each problem's signals live from the current policy (GRPO gradients, \
        success, angle), the coordinator selects the epoch's curriculum from a fresh chunk of the \
        pool, and the cluster trains on it data-parallel (GRPO + AdamW); held-out sampled and \
        greedy accuracy are measured after every epoch. The default task is reversed-output \
        addition from a warm start caught mid-way through learning the carries (docs/policy.md).
        Example:
          gradsieve demo --out demo-run --method gradalign --workers 2 --epochs 4
          gradsieve demo --out demo-limr --method limr --limr-history-epochs 2 --epochs 4
          gradsieve demo --compare --out demo-compare --seeds 3
          gradsieve demo --out demo-old --task arithmetic       # the first built-in task
        """)

    @Option(help: "Output directory (the warm-start checkpoint is cached here).")
    var out: String

    @Option(help: "Selection method: \(DemoRun.liveMethods.joined(separator: ", ")). limr builds its reward history from each epoch's success; its first --limr-history-epochs epochs train on random's draw.")
    var method: String = "gradalign"

    @Option(help: "limr: epochs of success history before limr scores (the epochs before train on random's draw).")
    var limrHistoryEpochs: Int = 2

    @Option(help: "Local worker processes.")
    var workers: Int = 2

    @Option(help: "Epochs: select, train, evaluate.")
    var epochs: Int = 4

    @Option(help: "Task family: reversed-addition (reversed-output 3-digit sums and the pool's other components) or arithmetic (the first built-in task, so older runs stay reproducible).")
    var task: String = TaskFamily.reversedAddition.rawValue

    @Option(help: "Curriculum size per epoch (default: reversed-addition --steps-per-epoch x --batch / --passes; arithmetic 256).")
    var budget: Int?

    @Option(help: "Training pool size in problems (default: reversed-addition 16384; arithmetic 4096).")
    var pool: Int?

    @Option(help: "Share of training problems with an unreliable reward (reversed-addition: inverted reward, r' = 1 - r; arithmetic: a wrong label). Default: reversed-addition 0.1, arithmetic 0.2.")
    var labelNoise: Double?

    @Option(help: "reversed-addition: relative shares of target, easy, hard and distractor problems in the rest of the pool (default 4,1,1,2).")
    var shares: String?

    @Option(help: "arithmetic: share of low-utility training problems (trivial or unsolvable; default 0.1).")
    var lowUtility: Double?

    @Option(help: "arithmetic: relative weights of the five difficulty tiers in the pool and the test set, comma-separated (default 1,1,1,1,1).")
    var tiers: String?

    var tierWeights: [Double] { (tiers ?? "1,1,1,1,1").split(separator: ",").compactMap { Double($0) } }
    var componentShares: [Double] {
        shares.map { $0.split(separator: ",").compactMap { Double($0) } } ?? ReversedAdditionTasks.defaultShares
    }
    var lowUtilityShare: Double { lowUtility ?? 0.1 }

    var taskFamily: TaskFamily { TaskFamily(rawValue: task) ?? .reversedAddition }
    var reversed: Bool { taskFamily == .reversedAddition }

    @Option(name: .customLong("steps-per-epoch"), help: "GRPO steps per epoch: the epoch's curriculum is trained in this many batches, then reselected (default: reversed-addition 32; arithmetic --budget x --passes / --batch).")
    var stepsPerEpochOption: Int?

    @Option(help: "Score a fresh chunk of this many pool problems each epoch and select from it (GradAlign's released loop: chunk i mod #chunks of the pool); 0 scores the whole pool every epoch. Default: reversed-addition 4 x the budget; arithmetic 0. limr always scores the whole pool (its history needs the same rows every epoch).")
    var chunkSize: Int?

    @Option(help: "gradalign's score: sim (cosine with the validation gradient, the paper's default), dot (the inner product: cosine x |grad|), simacc (4 p(1-p) x cosine).")
    var gradalignScore: String = "sim"

    @Option(help: "Sampled answers per test problem for sampled test accuracy.")
    var evalSamples: Int = 8

    /// GRPO steps per epoch, the same for every method and for the full-data baseline:
    /// `--steps-per-epoch`, else `passes` runs over a `budget`-row curriculum in batches of `batch`.
    var stepsPerEpoch: Int { stepsPerEpochOption ?? (curriculumSize * pass + batch - 1) / batch }

    /// The flags with their task's defaults filled in.
    var pass: Int { passes ?? (reversed ? 1 : 4) }
    var noise: Double { labelNoise ?? (reversed ? 0.1 : 0.2) }
    var poolRows: Int { pool ?? (reversed ? 16_384 : 4096) }
    var lr: Float { learningRate ?? (reversed ? 3e-4 : 1e-4) }
    var curriculumSize: Int {
        if let budget { return budget }
        if reversed { return max(1, (stepsPerEpochOption ?? 32) * batch / pass) }
        return 256
    }
    /// Rows scored per epoch (the chunk), for every method but limr.
    var chunkRows: Int? {
        let size = chunkSize ?? (reversed ? 4 * curriculumSize : 0)
        return size > 0 && size < poolRows ? size : nil
    }

    @Option(help: "Trusted validation problems (always clean).")
    var validation: Int = 128

    @Option(help: "Held-out test problems (always clean).")
    var test: Int = 2048

    @Option(help: "GRPO rollouts per problem.")
    var rollouts: Int = 8

    @Option(help: "Dimension of the projected gradients.")
    var projDim: Int = 256

    @Option(help: "GRPO batch size (problems per step).")
    var batch: Int = 32

    @Option(help: "AdamW learning rate of the GRPO steps (default: reversed-addition 3e-4; arithmetic 1e-4).")
    var learningRate: Float?

    @Option(help: "Passes of GRPO steps over each epoch's curriculum (default: reversed-addition 1, so selection is not confounded with repetition; arithmetic 4).")
    var passes: Int?

    @Option(help: "Most steps of the supervised warm-up (reversed-addition stops earlier, at the first check inside its validation band; arithmetic's standard recipe takes 2000).")
    var warmSteps: Int?

    @Option(help: "Seed of tasks, rollouts, projection and sampling.")
    var seed: UInt64 = 1

    @Flag(help: "Run the full-data baseline, random and every live method from the same warm start, with the same GRPO steps, over several seeds; write OUT/compare.md.")
    var compare = false

    @Option(help: "Representative subset: none, or facility-location (the top --pool-factor x budget rows by score, then the budget rows that cover them best; random and full stay plain).")
    var diversity: String = "none"

    @Option(help: "facility-location: candidates per curriculum row.")
    var poolFactor: Int = 4

    @Option(help: "Seeds for --compare.")
    var seeds: Int = 3

    @Option(help: "Log level: debug, info, warning, error.")
    var logLevel: String = "warning"

    func validate() throws {
        guard compare || DemoRun.liveMethods.contains(method) else {
            throw ValidationError("--method \(method) is not one of the live methods: \(DemoRun.liveMethods.joined(separator: ", "))")
        }
        guard TaskFamily(rawValue: task) != nil else {
            throw ValidationError("--task \(task) is not one of: \(TaskFamily.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        for (name, value) in [("--workers", workers), ("--epochs", epochs), ("--budget", curriculumSize), ("--pool", poolRows),
                              ("--validation", validation), ("--test", test), ("--rollouts", rollouts), ("--proj-dim", projDim),
                              ("--batch", batch), ("--seeds", seeds), ("--warm-steps", warmSteps ?? 1), ("--passes", pass),
                              ("--limr-history-epochs", limrHistoryEpochs), ("--steps-per-epoch", stepsPerEpoch),
                              ("--eval-samples", evalSamples)] where value <= 0 {
            throw ValidationError("\(name) must be positive, not \(value)")
        }
        // A flag of the other task would be ignored; say so instead (an old script that passes
        // --tiers without --task now names the task it means).
        if reversed, tiers != nil || lowUtility != nil {
            throw ValidationError("--tiers and --low-utility belong to --task arithmetic; add --task arithmetic to run that task, or use --shares and --label-noise for reversed-addition")
        }
        if !reversed, shares != nil { throw ValidationError("--shares belongs to --task reversed-addition, not --task \(task)") }
        guard (0...1).contains(noise), (0...1).contains(lowUtilityShare) else {
            throw ValidationError("--label-noise and --low-utility are shares in [0, 1]")
        }
        guard componentShares.count == 4, componentShares.allSatisfy({ $0 >= 0 }), componentShares.contains(where: { $0 > 0 }) else {
            throw ValidationError("--shares needs four non-negative weights (target, easy, hard, distractor), not \(shares ?? "")")
        }
        guard (chunkSize ?? 0) >= 0 else { throw ValidationError("--chunk-size must not be negative, not \(chunkSize!)") }
        if let chunkRows, curriculumSize > chunkRows {
            throw ValidationError("--budget \(curriculumSize) is larger than the --chunk-size \(chunkRows) it is selected from")
        }
        guard GradAlignScore(rawValue: gradalignScore) != nil else {
            throw ValidationError("--gradalign-score \(gradalignScore) is not sim, dot or simacc")
        }
        guard tierWeights.count == 5, tierWeights.allSatisfy({ $0 >= 0 }), tierWeights.contains(where: { $0 > 0 }) else {
            throw ValidationError("--tiers needs five non-negative weights, not \(tiers ?? "")")
        }
        guard ["none", "facility-location"].contains(diversity) else {
            throw ValidationError("--diversity \(diversity) is not none or facility-location")
        }
        guard poolFactor > 0 else { throw ValidationError("--pool-factor must be positive, not \(poolFactor)") }
        guard LogSetup.level(logLevel) != nil else { throw ValidationError("--log-level \(logLevel) is not debug, info, warning or error") }
    }

    func run() throws {
        let logger = LogSetup.logger("gradsieve.demo", level: logLevel)
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let warm = try DemoRun.warmStart(in: out, task: taskFamily, steps: warmSteps)
        if compare {
            try DemoCompare(demo: self, warm: warm, logger: logger).run()
        } else {
            let run = DemoRun(demo: self, method: method, seed: seed, directory: out, warm: warm, logger: logger)
            _ = try run.run(printing: true)
        }
    }
}
