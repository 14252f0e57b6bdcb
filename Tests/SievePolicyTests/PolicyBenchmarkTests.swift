import Foundation
import XCTest
@testable import SievePolicy

/// The speeds and warm-up accuracies quoted in docs/policy.md. Skipped unless asked for:
///
///     SIEVEPOLICY_BENCHMARK=1 swift test --scratch-path .build-policy --skip-build \
///         --filter SievePolicyTests.PolicyBenchmarkTests
///
/// Optional: WARMUP_STEPS (default 2000), WARMUP_BATCH (64), SAVE_TO (a checkpoint path).
final class PolicyBenchmarkTests: XCTestCase {
    private var environment: [String: String] { ProcessInfo.processInfo.environment }

    func testMeasureWarmUpAndSignals() throws {
        guard environment["SIEVEPOLICY_BENCHMARK"] == "1" else { throw XCTSkip("set SIEVEPOLICY_BENCHMARK=1") }
        let steps = Int(environment["WARMUP_STEPS"] ?? "") ?? 2000
        let batch = Int(environment["WARMUP_BATCH"] ?? "") ?? 64
        let policy = Policy(seed: 1)
        print("parameters: \(policy.parameters.count)")
        let warmUpSet = ArithmeticTasks.problems(.validation, 10_000..<12_000, config: .clean)
        var start = Date()
        let losses = WarmUp.train(policy: policy, problems: warmUpSet, steps: steps, seed: 1, batchSize: batch)
        print(String(format: "warm-up: %d steps of %d on 2 threads: %.1f s, loss %.3f -> %.3f", steps, batch,
                     Date().timeIntervalSince(start), losses.prefix(10).reduce(0, +) / 10, losses.suffix(10).reduce(0, +) / 10))
        if let path = environment["SAVE_TO"] { try policy.save(to: path) }
        let test = ArithmeticTasks.problems(.test, 0..<1000, config: .clean)
        let tiers = Evaluation.accuracyByTier(policy: policy, problems: test)
        print("greedy test accuracy by tier: " + tiers.enumerated().map { String(format: "%d: %.2f", $0, $1) }.joined(separator: ", "))
        print(String(format: "greedy test accuracy: %.3f", Evaluation.accuracy(policy: policy, problems: test)))

        let pool = ArithmeticTasks.problems(.train, 0..<256, config: TaskConfig(seed: 1, labelNoise: 0.1, lowUtilityShare: 0.1))
        let projection = GradientProjection(seed: 1, config: policy.config, outputDimension: 256)
        for threads in [1, 2] {
            start = Date()
            let signals = GRPO.signals(policy: policy, problems: pool, seed: 1, epoch: 1, projection: projection, threads: threads)
            let elapsed = Date().timeIntervalSince(start)
            let mixed = signals.filter { $0.gradientNorm > 0 }.count
            print(String(format: "signals, G = 8, d = 256, %d thread(s): %.2f ms per problem (%d of %d with mixed rewards, mean success %.2f)",
                         threads, 1000 * elapsed / Double(pool.count), mixed, pool.count,
                         signals.reduce(0) { $0 + $1.success } / Float(pool.count)))
        }
        var optimizer = AdamW(parameterCount: policy.parameters.count, learningRate: 3e-4)
        start = Date()
        for step in 0..<8 {
            GRPO.trainStep(policy: policy, problems: Array(pool[step * 32..<(step + 1) * 32]), seed: 1, epoch: UInt64(step),
                           optimizer: &optimizer, threads: 2)
        }
        print(String(format: "GRPO train step, 32 problems x 8 rollouts, 2 threads: %.0f ms", 1000 * Date().timeIntervalSince(start) / 8))
    }
}
