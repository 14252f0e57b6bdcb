import XCTest
@testable import SievePolicy

/// The loop end to end: supervised warm-up, then GRPO, on one-digit addition.
final class LearningTests: XCTestCase {
    func testWarmUpLowersTheLossAndIsReproducible() {
        let problems = ArithmeticTasks.problems(.validation, 0..<100, config: TrainedPolicies.tierZeroTasks)
        let a = Policy(seed: 5), b = Policy(seed: 5)
        let losses = WarmUp.train(policy: a, problems: problems, steps: 60, seed: 1, batchSize: 16)
        WarmUp.train(policy: b, problems: problems, steps: 60, seed: 1, batchSize: 16, threads: 1)
        XCTAssertEqual(a.parameters, b.parameters, "the same on one thread and on two")
        let first = losses.prefix(5).reduce(0, +) / 5, last = losses.suffix(5).reduce(0, +) / 5
        XCTAssertLessThan(last, 0.8 * first, "cross-entropy falls: \(first) → \(last)")
    }

    func testWarmUpRecipeIsReproducibleAndUsesCleanProblems() {
        var recipe = WarmUpRecipe(config: TransformerConfig(width: 32, layers: 1, heads: 2), steps: 4, batchSize: 8)
        recipe.tasks.labelNoise = 1  // the recipe trains on clean labels whatever the config says
        let clean = WarmUpRecipe(config: recipe.config, steps: 4, batchSize: 8)
        XCTAssertEqual(recipe.run(threads: 1).parameters, clean.run(threads: 2).parameters)
        XCTAssertNotEqual(clean.run().parameters, Policy(config: clean.config, seed: clean.policySeed).parameters)
    }

    func testGRPORaisesTheMeanRewardFromTheWarmStart() {
        let tasks = TrainedPolicies.tierZeroTasks
        let policy = TrainedPolicies.tierZero()
        let evaluation = TrainedPolicies.evaluationProblems(64)
        let rewardBefore = GRPO.meanReward(policy: policy, problems: evaluation, seed: 77, epoch: 0, threads: 2)
        let accuracyBefore = Evaluation.accuracy(policy: policy, problems: evaluation)
        var optimizer = AdamW(parameterCount: policy.parameters.count, learningRate: 3e-4)
        for step in 0..<60 {
            let batch = ArithmeticTasks.problems(.train, step * 64..<(step + 1) * 64, config: tasks)
            GRPO.trainStep(policy: policy, problems: batch, seed: 5, epoch: UInt64(step), optimizer: &optimizer, threads: 2)
        }
        let rewardAfter = GRPO.meanReward(policy: policy, problems: evaluation, seed: 77, epoch: 0, threads: 2)
        let accuracyAfter = Evaluation.accuracy(policy: policy, problems: evaluation)
        XCTAssertGreaterThan(rewardAfter, rewardBefore + 0.04, "mean reward \(rewardBefore) → \(rewardAfter)")
        XCTAssertGreaterThan(accuracyAfter, accuracyBefore, "greedy accuracy \(accuracyBefore) → \(accuracyAfter)")
    }
}
