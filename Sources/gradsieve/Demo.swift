import ArgumentParser
import Foundation
import Logging
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
        success, angle), the coordinator selects the epoch's curriculum, and the cluster trains \
        on it data-parallel (GRPO + AdamW); test accuracy is measured after every epoch.
        Example:
          gradsieve demo --out demo-run --method gradalign --workers 2 --epochs 4
          gradsieve demo --out demo-limr --method limr --limr-history-epochs 2 --epochs 4
          gradsieve demo --compare --out demo-compare --seeds 3
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

    @Option(help: "Curriculum size per epoch.")
    var budget: Int = 256

    @Option(help: "Training pool size (problems).")
    var pool: Int = 4096

    @Option(help: "Share of training problems with a wrong label (unreliable reward).")
    var labelNoise: Double = 0.2

    @Option(help: "Share of low-utility training problems (trivial or unsolvable).")
    var lowUtility: Double = 0.1

    @Option(help: "Relative weights of the five difficulty tiers in the pool and the test set, comma-separated.")
    var tiers: String = "1,1,1,1,1"

    var tierWeights: [Double] { tiers.split(separator: ",").compactMap { Double($0) } }

    /// GRPO steps per epoch, the same for every method and for the full-data baseline: `passes`
    /// runs over a `budget`-row curriculum in batches of `batch`.
    var stepsPerEpoch: Int { (budget * passes + batch - 1) / batch }

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

    @Option(help: "AdamW learning rate of the GRPO steps.")
    var learningRate: Float = 1e-4

    @Option(help: "Passes of GRPO steps over each epoch's curriculum.")
    var passes: Int = 4

    @Option(help: "Steps of the supervised warm-up (the standard recipe has 2000; fewer for a quick look).")
    var warmSteps: Int = WarmUpRecipe.standard.steps

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
        for (name, value) in [("--workers", workers), ("--epochs", epochs), ("--budget", budget), ("--pool", pool),
                              ("--validation", validation), ("--test", test), ("--rollouts", rollouts), ("--proj-dim", projDim),
                              ("--batch", batch), ("--seeds", seeds), ("--warm-steps", warmSteps), ("--passes", passes),
                              ("--limr-history-epochs", limrHistoryEpochs)] where value <= 0 {
            throw ValidationError("\(name) must be positive, not \(value)")
        }
        guard (0...1).contains(labelNoise), (0...1).contains(lowUtility) else {
            throw ValidationError("--label-noise and --low-utility are shares in [0, 1]")
        }
        guard tierWeights.count == 5, tierWeights.allSatisfy({ $0 >= 0 }), tierWeights.contains(where: { $0 > 0 }) else {
            throw ValidationError("--tiers needs five non-negative weights, not \(tiers)")
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
        let warm = try DemoRun.warmStart(in: out, steps: warmSteps)
        if compare {
            try DemoCompare(demo: self, warm: warm, logger: logger).run()
        } else {
            let run = DemoRun(demo: self, method: method, seed: seed, directory: out, warm: warm, logger: logger)
            _ = try run.run(printing: true)
        }
    }
}
