import XCTest
@testable import SievePolicy

final class GRPOTests: XCTestCase {
    private let mixed = TaskConfig(seed: 21, labelNoise: 0.2, lowUtilityShare: 0.2)

    func testSignalsDoNotDependOnThreadsOrOnOtherProblems() {
        let policy = TrainedPolicies.tierZero()
        let problems = ArithmeticTasks.problems(.train, 0..<12, config: mixed)
        let projection = GradientProjection(seed: 1, config: policy.config, outputDimension: 64)
        let one = GRPO.signals(policy: policy, problems: problems, seed: 5, epoch: 2, projection: projection, threads: 1)
        let two = GRPO.signals(policy: policy, problems: problems, seed: 5, epoch: 2, projection: projection, threads: 2)
        let three = GRPO.signals(policy: policy, problems: Array(problems.reversed()), seed: 5, epoch: 2, projection: projection, threads: 3)
        XCTAssertEqual(one, two)
        XCTAssertEqual(one, three.reversed())
        XCTAssertEqual(one[4], GRPO.signals(policy: policy, problem: problems[4], seed: 5, epoch: 2, projection: projection))
        XCTAssertTrue(one.contains { $0.gradientNorm > 0 }, "some problems have mixed rewards")
        XCTAssertTrue(one.allSatisfy { $0.angle.isFinite && abs($0.angle) <= 2 }, "a sum of two mean cosines")
        let validation = ArithmeticTasks.problems(.validation, 0..<4, config: mixed)
        XCTAssertEqual(GRPO.validationGradients(policy: policy, problems: validation, seed: 5, epoch: 2, projection: projection, threads: 2),
                       validation.map { GRPO.signals(policy: policy, problem: $0, seed: 5, epoch: 2, projection: projection).projectedGradient })
    }

    func testRolloutsChangeWithSeedAndEpochButNotWithTheCall() {
        let policy = TrainedPolicies.tierZero()
        let projection = GradientProjection(seed: 1, config: policy.config, outputDimension: 16)
        func rewards(_ problem: Problem, _ seed: UInt64, _ epoch: UInt64) -> [Float] {
            GRPO.signals(policy: policy, problem: problem, rollouts: 32, seed: seed, epoch: epoch, projection: projection).rewards
        }
        // a problem whose rollouts disagree, so that other draws can show
        let candidates = ArithmeticTasks.problems(.train, 0..<40, config: TrainedPolicies.tierZeroTasks)
        guard let problem = candidates.first(where: { Set(rewards($0, 1, 1)).count > 1 }) else {
            return XCTFail("the tier-zero policy solves or fails every one of 40 problems on every rollout")
        }
        func rewards(_ seed: UInt64, _ epoch: UInt64) -> [Float] { rewards(problem, seed, epoch) }
        XCTAssertEqual(rewards(1, 1), rewards(1, 1))
        XCTAssertEqual(rewards(1, 1).count, 32)
        XCTAssertTrue(rewards(1, 1) != rewards(1, 2) || rewards(1, 1) != rewards(2, 1), "different streams draw different rollouts")
    }

    func testSuccessIsTheMeanRewardAndAgreeingRewardsGiveZeroGradient() {
        let policy = TrainedPolicies.tierZero()
        let projection = GradientProjection(seed: 1, config: policy.config, outputDimension: 32)
        let problems = ArithmeticTasks.problems(.train, 0..<40, config: TaskConfig(seed: 8, lowUtilityShare: 1))
        for problem in problems {
            let signals = GRPO.signals(policy: policy, problem: problem, seed: 2, epoch: 0, projection: projection)
            XCTAssertEqual(signals.success, signals.rewards.reduce(0, +) / 8)
            if problem.kind == .tooLong || problem.kind == .malformedLabel {
                XCTAssertEqual(signals.rewards, [Float](repeating: 0, count: 8), "\(problem.kind) is never solved")
            }
            if Set(signals.rewards).count == 1 {
                XCTAssertEqual(signals.gradientNorm, 0)
                XCTAssertTrue(signals.projectedGradient.allSatisfy { $0 == 0 })
            }
        }
    }

    func testGradientSumOverPartsEqualsTheWholeBatch() {
        let policy = TrainedPolicies.tierZero()
        let problems = ArithmeticTasks.problems(.train, 0..<10, config: TrainedPolicies.tierZeroTasks)
        let count = policy.parameters.count
        var whole = [Float](repeating: 0, count: count)
        let total = GRPO.gradientSum(policy: policy, problems: problems, seed: 3, epoch: 1, into: &whole)
        XCTAssertGreaterThan(whole.map(abs).max()!, 0)
        XCTAssertEqual(total.count, 80)

        var sameBuffer = [Float](repeating: 0, count: count)
        var separate = [[Float]](repeating: [Float](repeating: 0, count: count), count: 3)
        var rewardSum = 0.0
        for (part, range) in [0..<4, 4..<5, 5..<10].enumerated() {
            GRPO.gradientSum(policy: policy, problems: Array(problems[range]), seed: 3, epoch: 1, into: &sameBuffer)
            rewardSum += GRPO.gradientSum(policy: policy, problems: Array(problems[range]), seed: 3, epoch: 1,
                                          into: &separate[part], threads: 2).rewardSum
        }
        XCTAssertEqual(sameBuffer, whole, "parts added into one buffer in order: bitwise the same")
        XCTAssertEqual(rewardSum, total.rewardSum)
        let scale = whole.map(abs).max()!
        for i in 0..<count {
            let added = (separate[0][i] + separate[1][i]) + separate[2][i]
            XCTAssertEqual(added, whole[i], accuracy: 1e-5 * scale)
        }
        var threaded = [Float](repeating: 0, count: count)
        GRPO.gradientSum(policy: policy, problems: problems, seed: 3, epoch: 1, into: &threaded, threads: 2)
        XCTAssertEqual(threaded, whole, "threads do not change the result")
    }

    func testGradientSumIsTheSumOfTheProblemsGradients() {
        let policy = TrainedPolicies.tierZero()
        let problems = ArithmeticTasks.problems(.train, 0..<6, config: TrainedPolicies.tierZeroTasks)
        let projection = GradientProjection(seed: 4, config: policy.config, outputDimension: 64)
        var sum = [Float](repeating: 0, count: policy.parameters.count)
        let (rewardSum, _) = GRPO.gradientSum(policy: policy, problems: problems, seed: 6, epoch: 0, into: &sum)
        let signals = problems.map { GRPO.signals(policy: policy, problem: $0, seed: 6, epoch: 0, projection: projection) }
        XCTAssertEqual(rewardSum, Double(signals.reduce(0) { $0 + $1.rewards.reduce(0, +) }))
        let projectedSum = projection.project(sum)
        for k in 0..<64 {
            let added = signals.reduce(Float(0)) { $0 + $1.projectedGradient[k] }
            XCTAssertEqual(projectedSum[k], added, accuracy: 1e-4 * max(1, abs(added)))
        }
    }

    /// g must be ∇ of J = Σ_j (A_j/G) log p(y_j | x) for the rollouts drawn: the derivative of J
    /// along g, by central differences, is ‖g‖² > 0.
    func testProblemGradientIsTheAscentDirectionOfTheAdvantageWeightedLogLikelihood() {
        let policy = TrainedPolicies.tierZero()
        let transformer = Transformer(config: policy.config), workspace = Workspace(config: policy.config)
        let problem = (0..<50).map { ArithmeticTasks.problem(.train, index: $0, config: TrainedPolicies.tierZeroTasks) }
            .first { p in
                let s = GRPO.signals(policy: policy, problem: p, seed: 9, epoch: 0,
                                     projection: GradientProjection(seed: 1, inputDimension: policy.parameters.count, outputDimension: 1))
                return s.success > 0 && s.success < 1
            }!
        var gradient = [Float](repeating: 0, count: policy.parameters.count)
        let rewards = gradient.withUnsafeMutableBufferPointer {
            GRPO.problemGradient(policy.parameters, transformer, problem, 8, 9, 0, workspace, into: $0)
        }
        let written = policy.parameters.withUnsafeBufferPointer {
            GRPO.sample(transformer, $0.baseAddress!, problem, 8, 9, 0, workspace).written
        }
        let mean = rewards.reduce(0, +) / 8
        func objective(_ parameters: [Float]) -> Double {
            workspace.loadContinuations(prompts: Array(repeating: problem.promptTokens, count: 8), continuations: written,
                                        weights: rewards.map { ($0 - mean) / 8 })
            return transformer.evaluate(parameters: parameters, workspace: workspace)
        }
        let squaredNorm = gradient.reduce(0.0) { $0 + Double($1) * Double($1) }
        // A step that moves J by about 1e-3: small against the curvature (a rollout the policy
        // finds unlikely can give ‖g‖ in the tens), large against Float32 rounding of J.
        let h = 1e-3 / squaredNorm
        let plus = zip(policy.parameters, gradient).map { $0 + Float(h) * $1 }
        let minus = zip(policy.parameters, gradient).map { $0 - Float(h) * $1 }
        let directional = (objective(plus) - objective(minus)) / (2 * h)
        XCTAssertEqual(directional / squaredNorm, 1, accuracy: 0.02)
    }
}
