import Foundation
import Logging
import SieveCore
import SieveCluster
import SieveData
import SievePolicy
import SieveSelect
import SieveUV
import Synchronization

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
    /// The clean-target arm: its pool holds only clean target problems (the upper bound of what
    /// a selection could keep).
    var cleanPool = false

    init(demo: Demo, method: String, seed: UInt64, directory: String, warm: String, logger: Logger,
         label: String? = nil, budget: Int? = nil) {
        self.demo = demo
        self.method = method
        self.seed = seed
        self.directory = directory
        self.warm = warm
        self.logger = logger
        self.label = label ?? method
        self.budget = budget ?? demo.curriculumSize
    }

    /// The full-data baseline: its curriculum is the epoch's whole pool (the chunk, when chunked)
    /// in a fresh random order, and the epoch's GRPO steps run through the first
    /// steps x batch of them: fresh problems, each seen once.
    static func fullData(demo: Demo, seed: UInt64, directory: String, warm: String, logger: Logger) -> DemoRun {
        DemoRun(demo: demo, method: "random", seed: seed, directory: directory, warm: warm, logger: logger,
                label: "full", budget: demo.chunkRows ?? demo.poolRows)
    }

    /// The clean-target arm (reversed-addition): random draws from a pool of clean target
    /// problems only, with the same steps: what training would gain if every unreliable, easy,
    /// hard and distractor problem were removed.
    static func cleanTarget(demo: Demo, seed: UInt64, directory: String, warm: String, logger: Logger) -> DemoRun {
        var run = DemoRun(demo: demo, method: "random", seed: seed, directory: directory, warm: warm, logger: logger, label: "clean")
        run.cleanPool = true
        return run
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
        /// Sampled test accuracy: the share of `--eval-samples` answers per test problem
        /// (temperature 1) that are right.
        var sampled_accuracy: Double?
        /// How many curriculum rows came from each pool component (target, easy, hard,
        /// unreliable, distractor).
        var picked: [String: Int]?
        /// Rollouts spent so far, training and scoring (the warm start's line: 0).
        var rollouts: Int?
        /// Of `rollouts`, those spent scoring the pool and the validation set.
        var scoring_rollouts: Int?
    }

    /// The warm-start checkpoint in `directory`, made once by the task's warm-up recipe and
    /// reused (named by the recipe, so another recipe never picks up these weights).
    static func warmStart(in directory: String, task: TaskFamily, steps: Int?) throws -> String {
        var recipe = WarmUpRecipe.recipe(for: task)
        if let steps { recipe.steps = steps }
        let path = directory + "/" + recipe.checkpointName
        if FileManager.default.fileExists(atPath: path) { return path }
        print("warm-up: supervised training on clean problems (once; cached in \(path))")
        let started = Date()
        let outcome = recipe.train(threads: 2)
        try outcome.policy.save(to: path + ".tmp")
        guard rename(path + ".tmp", path) == 0 else { throw CommandFailure("cannot write \(path)") }
        if let band = recipe.band, let accuracy = outcome.validationAccuracy {
            let verdict = outcome.inBand ? "inside" : "NOT inside (no check landed in it; the last one is used)"
            print(String(format: "warm-up: stopped after %d steps at validation greedy accuracy %.3f, %@ the band %.2f...%.2f",
                         outcome.steps, accuracy, verdict, band.lowerBound, band.upperBound))
        }
        print("warm-up: done in \(Int(Date().timeIntervalSince(started))) s")
        return path
    }

    var manifest: LiveManifest {
        var manifest = LiveManifest(checkpoint: URL(fileURLWithPath: warm).standardizedFileURL.path, poolRows: demo.poolRows,
                                    validationRows: demo.validation, testRows: demo.test, taskSeed: seed,
                                    labelNoise: cleanPool ? 0 : demo.noise, lowUtilityShare: demo.lowUtilityShare,
                                    tierWeights: demo.tierWeights, rollouts: demo.rollouts, projectionDimension: demo.projDim, seed: seed)
        manifest.task = demo.taskFamily
        manifest.componentShares = cleanPool ? [1, 0, 0, 0] : demo.componentShares
        // limr's history needs the same rows every epoch: it scores the whole pool.
        manifest.chunkRows = method == "limr" ? nil : demo.chunkRows
        manifest.evaluationSamples = demo.evalSamples
        return manifest
    }

    /// Runs the epochs; returns the metrics lines, epoch 0 being the warm start.
    func run(printing: Bool) throws -> [Line] {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let manifestPath = URL(fileURLWithPath: directory + "/manifest.json").standardizedFileURL.path
        try manifest.write(to: manifestPath)
        let live = try LiveSignals(manifestPath: manifestPath)
        let started = Date()
        let testProblems = ArithmeticTasks.problems(.test, 0..<demo.test, config: manifest.tasks)
        let warmCounts = EvaluationCounts.evaluate(policy: live.currentPolicy, problems: testProblems, samples: demo.evalSamples,
                                                   seed: manifest.seed)
        var lines = [Line(epoch: 0, method: label, selected: 0, train_reward: 0, test_accuracy: warmCounts.accuracy, seconds: 0,
                          test_accuracy_by_tier: warmCounts.accuracyByTier, sampled_accuracy: warmCounts.sampledAccuracy,
                          picked: nil, rollouts: 0, scoring_rollouts: 0)]
        if printing {
            print(String(format: "epoch 0  %@  warm start          test accuracy %.3f  sampled %.3f", label, lines[0].test_accuracy,
                         warmCounts.sampledAccuracy))
        }
        let chosen = SelectionMethod(rawValue: method)!
        var configuration = RunConfiguration(
            method: chosen, parameters: MethodParameters(budget: budget, seed: seed,
                                                         gainrl: GainRLParameters(n: 500, alpha: 2, beta: 0.5, sigma: Double(manifest.epochRows) / 4, maxShift: 1000),
                                                         diversity: demo.diversity == "facility-location" && method != "random",
                                                         poolFactor: demo.poolFactor, limrHistoryEpochs: demo.limrHistoryEpochs),
            epochs: demo.epochs, expectWorkers: demo.workers, shardRows: 128, validationShardRows: 32,
            dataPath: LiveManifest.scheme + manifestPath, runID: "demo-\(label)-\(seed)", heartbeatMillis: 500,
            workerTimeoutMillis: 60_000)
        configuration.parameters.gradalignScore = GradAlignScore(rawValue: demo.gradalignScore) ?? .sim
        configuration.training = TrainingPlan(batchSize: demo.batch, testRows: demo.test, learningRate: demo.lr,
                                              passes: demo.pass, stepsPerEpoch: demo.stepsPerEpoch)
        let manifest = self.manifest
        let shape = PoolShape(rows: manifest.epochRows, validationRows: demo.validation, dimension: demo.projDim, fingerprint: live.fingerprint)
        // Row r of epoch e is train problem chunkStart(e) + r: ids name the problem.
        @Sendable func output(epoch: Int) -> RunOutput {
            let start = manifest.chunkStart(epoch: epoch)
            return RunOutput(directory: directory, ids: SampleIDs((0..<manifest.epochRows).map { String(format: "train-%06d", start + $0) }))
        }
        // Written by the epoch writer (a background thread), read by the metrics callback (the
        // loop thread) after the write completed; the mutex keeps that explicit.
        let picked = Mutex<[Int: [String: Int]]>([:])
        let service = try CoordinatorService(configuration: configuration, shape: shape, endpoint: Endpoint(host: "127.0.0.1", port: 0),
                                             logger: logger, initialWeights: live.currentPolicy.parameters,
                                             finalGreedy: { request in
                                                 // The coordinator's own signal source: the epoch's weights and chunk first.
                                                 if let weights = request.weights {
                                                     live.update(parameters: weights, version: UInt32(truncatingIfNeeded: 1_000_000 + request.epoch),
                                                                 epoch: UInt64(request.epoch))
                                                 }
                                                 return try FinalGreedy.run(request, pool: live)
                                             }, journal: { _, _ in }, syncJournal: {},
                                             writeEpoch: { result in
                                                 try output(epoch: result.epoch).write(result)
                                                 let counts = Self.components(of: result.curriculum.map(\.row), epoch: result.epoch,
                                                                              manifest: manifest)
                                                 picked.withLock { $0[result.epoch] = counts }
                                             })
        // Rollouts: training takes steps x batch x G per epoch; scoring takes G per scored row
        // (and per validation row for gradalign's reference); random and full score nothing.
        let scored = SelectionMethod(rawValue: method)! == .random ? 0
            : (manifest.epochRows + (method == "gradalign" ? demo.validation : 0)) * demo.rollouts
        var epochStart = Date()
        service.onMetrics = { metrics in
            let seconds = Date().timeIntervalSince(epochStart)
            epochStart = Date()
            let before = lines.last!
            let trained = metrics.steps * demo.batch * demo.rollouts
            let line = Line(epoch: metrics.epoch, method: label, selected: metrics.selected, train_reward: metrics.trainReward,
                            test_accuracy: metrics.testAccuracy, seconds: (seconds * 100).rounded() / 100,
                            test_accuracy_by_tier: metrics.testAccuracyByTier, sampled_accuracy: metrics.sampledAccuracy,
                            picked: picked.withLock { $0[metrics.epoch] }, rollouts: (before.rollouts ?? 0) + trained + scored,
                            scoring_rollouts: (before.scoring_rollouts ?? 0) + scored)
            lines.append(line)
            if printing {
                print(String(format: "epoch %d  %@  scored %d  curriculum %d  train reward %.3f  test accuracy %.3f  sampled %.3f  %.1f s",
                             metrics.epoch, label, scored / demo.rollouts, metrics.selected, metrics.trainReward, metrics.testAccuracy,
                             metrics.sampledAccuracy, seconds))
            }
            try? Self.writeMetrics(lines, to: directory + "/metrics.jsonl")
        }
        let workers = try LocalWorkers(count: demo.workers, service: service, extraArguments: ["--log-level", demo.logLevel], logger: logger)
        let outcome = service.run()
        if case .interrupted = outcome { workers.terminate() }
        if case let .failure(message) = outcome { throw CommandFailure(message) }
        try? output(epoch: 1).writeThroughput(service.throughput)
        if printing { print("total \(Int(Date().timeIntervalSince(started))) s; metrics in \(directory)/metrics.jsonl") }
        return lines
    }

    /// Curriculum rows counted by the pool component of their problem.
    static func components(of rows: [Int], epoch: Int, manifest: LiveManifest) -> [String: Int] {
        var counts = Dictionary(uniqueKeysWithValues: TaskComponent.allCases.map { ($0.rawValue, 0) })
        for row in rows {
            let problem = ArithmeticTasks.problem(.train, index: manifest.problemIndex(row: row, epoch: epoch), config: manifest.tasks)
            counts[problem.component.rawValue, default: 0] += 1
        }
        return counts
    }

    static func writeMetrics(_ lines: [Line], to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let text = try lines.map { String(decoding: try encoder.encode($0), as: UTF8.self) }.joined(separator: "\n") + "\n"
        try AtomicFile.write(text, to: path)
    }
}
