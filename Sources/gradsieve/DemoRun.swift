import Foundation
import Logging
import SieveCluster
import SieveData
import SievePolicy
import SieveSelect
import SieveUV

/// One live run of the demo: a coordinator in this process, local worker processes computing
/// signals and training tasks from the built-in policy, metrics per epoch.
struct DemoRun {
    static let liveMethods = ["gradalign", "learnalign", "limr", "gainrl", "accuracy-band", "random"]

    let demo: Demo
    let method: String
    /// The name the run's lines carry: the method, or `full` for the full-data baseline (random
    /// with the whole pool as its curriculum).
    var label: String
    /// Curriculum size per epoch.
    var budget: Int
    let seed: UInt64
    let directory: String
    let warm: String
    let logger: Logger

    init(demo: Demo, method: String, seed: UInt64, directory: String, warm: String, logger: Logger,
         label: String? = nil, budget: Int? = nil) {
        self.demo = demo
        self.method = method
        self.seed = seed
        self.directory = directory
        self.warm = warm
        self.logger = logger
        self.label = label ?? method
        self.budget = budget ?? demo.budget
    }

    /// The full-data baseline: its curriculum is the whole pool in a fresh random order each
    /// epoch, and the epoch's GRPO steps (as many as a `--budget` curriculum takes) run through
    /// the first budget x passes of them: fresh problems, each seen once.
    static func fullData(demo: Demo, seed: UInt64, directory: String, warm: String, logger: Logger) -> DemoRun {
        DemoRun(demo: demo, method: "random", seed: seed, directory: directory, warm: warm, logger: logger,
                label: "full", budget: demo.pool)
    }

    struct Line: Codable {
        var epoch: Int
        var method: String
        var selected: Int
        var train_reward: Double
        var test_accuracy: Double
        var seconds: Double
        /// Test accuracy of each difficulty tier, easiest first (null for a tier without test problems).
        var test_accuracy_by_tier: [Double?]?
    }

    /// The warm-start checkpoint in `directory`, made once by the standard warm-up and reused
    /// (named by the recipe, so another recipe never picks up these weights).
    static func warmStart(in directory: String, steps: Int) throws -> String {
        var recipe = WarmUpRecipe.standard
        recipe.steps = steps
        let path = directory + "/" + recipe.checkpointName
        if FileManager.default.fileExists(atPath: path) { return path }
        print("warm-up: supervised training on clean problems (once; cached in \(path))")
        let started = Date()
        let policy = recipe.run(threads: 2)
        try policy.save(to: path + ".tmp")
        guard rename(path + ".tmp", path) == 0 else { throw CommandFailure("cannot write \(path)") }
        print("warm-up: done in \(Int(Date().timeIntervalSince(started))) s")
        return path
    }

    var manifest: LiveManifest {
        LiveManifest(checkpoint: URL(fileURLWithPath: warm).standardizedFileURL.path, poolRows: demo.pool,
                     validationRows: demo.validation, testRows: demo.test, taskSeed: seed, labelNoise: demo.labelNoise,
                     lowUtilityShare: demo.lowUtility, tierWeights: demo.tierWeights, rollouts: demo.rollouts,
                     projectionDimension: demo.projDim, seed: seed)
    }

    /// Runs the epochs; returns the metrics lines, epoch 0 being the warm start.
    func run(printing: Bool) throws -> [Line] {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let manifestPath = URL(fileURLWithPath: directory + "/manifest.json").standardizedFileURL.path
        try manifest.write(to: manifestPath)
        let live = try LiveSignals(manifestPath: manifestPath)
        let started = Date()
        let testProblems = ArithmeticTasks.problems(.test, 0..<demo.test, config: manifest.tasks)
        let warmCounts = EvaluationCounts.greedy(policy: live.currentPolicy, problems: testProblems)
        var lines = [Line(epoch: 0, method: label, selected: 0, train_reward: 0, test_accuracy: warmCounts.accuracy, seconds: 0,
                          test_accuracy_by_tier: warmCounts.accuracyByTier)]
        if printing { print(String(format: "epoch 0  %@  warm start          test accuracy %.3f", label, lines[0].test_accuracy)) }
        let chosen = SelectionMethod(rawValue: method)!
        var configuration = RunConfiguration(
            method: chosen, parameters: MethodParameters(budget: budget, seed: seed,
                                                         gainrl: GainRLParameters(n: 500, alpha: 2, beta: 0.5, sigma: Double(demo.pool) / 4, maxShift: 1000),
                                                         diversity: demo.diversity == "facility-location" && method != "random",
                                                         poolFactor: demo.poolFactor, limrHistoryEpochs: demo.limrHistoryEpochs),
            epochs: demo.epochs, expectWorkers: demo.workers, shardRows: 128, validationShardRows: 32,
            dataPath: LiveManifest.scheme + manifestPath, runID: "demo-\(label)-\(seed)", heartbeatMillis: 500,
            workerTimeoutMillis: 60_000)
        configuration.training = TrainingPlan(batchSize: demo.batch, testRows: demo.test, learningRate: demo.learningRate,
                                              passes: demo.passes, stepsPerEpoch: demo.stepsPerEpoch)
        let shape = PoolShape(rows: demo.pool, validationRows: demo.validation, dimension: demo.projDim, fingerprint: live.fingerprint)
        let ids = (0..<demo.pool).map { String(format: "train-%06d", $0) }
        let output = RunOutput(directory: directory, ids: ids)
        let service = try CoordinatorService(configuration: configuration, shape: shape, endpoint: Endpoint(host: "127.0.0.1", port: 0),
                                             logger: logger, initialWeights: live.currentPolicy.parameters,
                                             finalGreedy: { try FinalGreedy.run($0, pool: live) }, journal: { _, _ in }, syncJournal: {},
                                             writeEpoch: { try output.write($0) })
        var epochStart = Date()
        service.onMetrics = { metrics in
            let seconds = Date().timeIntervalSince(epochStart)
            epochStart = Date()
            let line = Line(epoch: metrics.epoch, method: label, selected: metrics.selected, train_reward: metrics.trainReward,
                            test_accuracy: metrics.testAccuracy, seconds: (seconds * 100).rounded() / 100,
                            test_accuracy_by_tier: metrics.testAccuracyByTier)
            lines.append(line)
            if printing {
                print(String(format: "epoch %d  %@  scored %d  curriculum %d  train reward %.3f  test accuracy %.3f  %.1f s",
                             metrics.epoch, label, demo.pool, metrics.selected, metrics.trainReward, metrics.testAccuracy, seconds))
            }
            try? Self.writeMetrics(lines, to: directory + "/metrics.jsonl")
        }
        let workers = try LocalWorkers(count: demo.workers, service: service, extraArguments: ["--log-level", demo.logLevel], logger: logger)
        let outcome = service.run()
        if case .interrupted = outcome { workers.terminate() }
        if case let .failure(message) = outcome { throw CommandFailure(message) }
        try? output.writeThroughput(service.throughput)
        if printing { print("total \(Int(Date().timeIntervalSince(started))) s; metrics in \(directory)/metrics.jsonl") }
        return lines
    }

    static func writeMetrics(_ lines: [Line], to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let text = try lines.map { String(decoding: try encoder.encode($0), as: UTF8.self) }.joined(separator: "\n") + "\n"
        try AtomicFile.write(text, to: path)
    }
}
