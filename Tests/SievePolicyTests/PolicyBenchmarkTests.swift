import Foundation
import XCTest
@testable import SievePolicy

/// The speeds and warm-up accuracies quoted in docs/policy.md. Skipped unless asked for:
///
///     SIEVEPOLICY_BENCHMARK=1 swift test --scratch-path .build-policy --skip-build \
///         --filter SievePolicyTests.PolicyBenchmarkTests
///
/// Optional: WARMUP_STEPS (default 2000), WARMUP_BATCH (64), SAVE_TO (a checkpoint path).
///
/// Each figure is given as wall time and as the process's CPU time, since on a shared machine
/// the wall time also measures the neighbours.
final class PolicyBenchmarkTests: XCTestCase {
    private var environment: [String: String] { ProcessInfo.processInfo.environment }

    private struct Clock {
        let wall = Date()
        let cpu = Clock.processSeconds()

        static func processSeconds() -> Double {
            var now = timespec()
            clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now)
            return Double(now.tv_sec) + Double(now.tv_nsec) * 1e-9
        }

        /// (wall seconds, CPU seconds) since the clock started.
        var elapsed: (wall: Double, cpu: Double) { (Date().timeIntervalSince(wall), Clock.processSeconds() - cpu) }
    }

    func testMeasureWarmUpAndSignals() throws {
        guard environment["SIEVEPOLICY_BENCHMARK"] == "1" else { throw XCTSkip("set SIEVEPOLICY_BENCHMARK=1") }
        let steps = Int(environment["WARMUP_STEPS"] ?? "") ?? 2000
        let batch = Int(environment["WARMUP_BATCH"] ?? "") ?? 64
        let recipe = WarmUpRecipe(steps: steps, batchSize: batch)
        print("parameters: \(recipe.config.parameterCount)")
        var clock = Clock()
        let policy = recipe.run()
        var (wall, cpu) = clock.elapsed
        print(String(format: "warm-up (WarmUpRecipe.standard with %d steps of %d) on 2 threads: %.1f s wall, %.1f s CPU",
                     steps, batch, wall, cpu))
        if let path = environment["SAVE_TO"] { try policy.save(to: path) }
        let test = ArithmeticTasks.problems(.test, 0..<1000, config: .clean)
        let tiers = Evaluation.accuracyByTier(policy: policy, problems: test)
        print("greedy test accuracy by tier: " + tiers.enumerated().map { String(format: "%d: %.2f", $0, $1) }.joined(separator: ", "))
        print(String(format: "greedy test accuracy: %.3f", Evaluation.accuracy(policy: policy, problems: test)))

        let pool = ArithmeticTasks.problems(.train, 0..<256, config: TaskConfig(seed: 1, labelNoise: 0.1, lowUtilityShare: 0.1))
        let projection = GradientProjection(seed: 1, config: policy.config, outputDimension: 256)
        for threads in [1, 2] {
            clock = Clock()
            let signals = GRPO.signals(policy: policy, problems: pool, seed: 1, epoch: 1, projection: projection, threads: threads)
            (wall, cpu) = clock.elapsed
            let mixed = signals.filter { $0.gradientNorm > 0 }.count
            print(String(format: "signals, G = 8, d = 256, %d thread(s): %.2f ms wall, %.2f ms CPU per problem (%d of %d with mixed rewards, mean success %.2f)",
                         threads, 1000 * wall / Double(pool.count), 1000 * cpu / Double(pool.count), mixed, pool.count,
                         signals.reduce(0) { $0 + $1.success } / Float(pool.count)))
        }
        var optimizer = AdamW(parameterCount: policy.parameters.count, learningRate: 3e-4)
        clock = Clock()
        for step in 0..<8 {
            GRPO.trainStep(policy: policy, problems: Array(pool[step * 32..<(step + 1) * 32]), seed: 1, epoch: UInt64(step),
                           optimizer: &optimizer, threads: 2)
        }
        (wall, cpu) = clock.elapsed
        print(String(format: "GRPO train step, 32 problems x 8 rollouts, 2 threads: %.0f ms wall, %.0f ms CPU", 1000 * wall / 8, 1000 * cpu / 8))
    }
}
