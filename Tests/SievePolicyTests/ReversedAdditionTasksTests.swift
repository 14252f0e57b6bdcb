import XCTest
@testable import SievePolicy

/// The reversed-addition task family: every component's ground truth, its share of the pool,
/// split ownership, and the unreliable component's inverted reward.
final class ReversedAdditionTasksTests: XCTestCase {
    let config = TaskConfig(task: .reversedAddition, seed: 7, labelNoise: 0.2)

    /// (a, operation, b) of a prompt "Q:a+b=".
    func parse(_ problem: Problem) -> (Int, Character, Int) {
        let question = problem.prompt.dropFirst(problem.prefixLength).dropLast()
        let operation = question.first { "+*-".contains($0) }!
        let parts = question.split(separator: operation)
        return (Int(parts[0])!, operation, Int(parts[1])!)
    }

    func testEveryComponentHasItsGroundTruthAndShape() {
        let train = ArithmeticTasks.problems(.train, 0..<4000, config: config)
        var seen = Set<TaskComponent>()
        for problem in train {
            let (a, operation, b) = parse(problem)
            XCTAssertEqual(operation, "+", problem.prompt)
            let sum = a + b
            XCTAssertEqual(problem.trueAnswer, String(String(sum).reversed()), problem.prompt)
            XCTAssertEqual(problem.answer, problem.trueAnswer, "labels are true; unreliability is in the reward")
            XCTAssertEqual(problem.rewardInverted, problem.component == .unreliable)
            let digits: Int
            switch problem.component {
            case .target, .unreliable: digits = 3
            case .easy: digits = 1
            case .hard: digits = 4
            case .distractor: digits = 2
            }
            let range = digits == 1 ? 0...9 : Int(pow(10, Double(digits - 1)))...(Int(pow(10, Double(digits))) - 1)
            XCTAssertTrue(range.contains(a) && range.contains(b), "\(problem.component): \(problem.prompt)")
            XCTAssertEqual(problem.tier, digits == 3 ? ReversedAdditionTasks.carries(a, b) : -1)
            XCTAssertEqual(ArithmeticTasks.problem(.train, index: problem.index, config: config), problem, "a pure function of the index")
            seen.insert(problem.component)
        }
        XCTAssertEqual(seen, Set(TaskComponent.allCases))
        // 20% unreliable; the rest 4 : 1 : 1 : 2.
        func share(_ c: TaskComponent) -> Double { Double(train.filter { $0.component == c }.count) / Double(train.count) }
        XCTAssertEqual(share(.unreliable), 0.2, accuracy: 0.025)
        XCTAssertEqual(share(.target), 0.4, accuracy: 0.03)
        XCTAssertEqual(share(.easy), 0.1, accuracy: 0.02)
        XCTAssertEqual(share(.hard), 0.1, accuracy: 0.02)
        XCTAssertEqual(share(.distractor), 0.2, accuracy: 0.025)
    }

    func testReversedDigitsAndCarries() {
        XCTAssertEqual(ReversedAdditionTasks.reversedDigits(632), "236")
        XCTAssertEqual(ReversedAdditionTasks.reversedDigits(630), "036")
        XCTAssertEqual(ReversedAdditionTasks.reversedDigits(1100), "0011")
        XCTAssertEqual(ReversedAdditionTasks.carries(123, 456), 0)
        XCTAssertEqual(ReversedAdditionTasks.carries(347, 285), 2)  // 7+5, 4+8+1; 3+2+1 = 6 carries nothing
        XCTAssertEqual(ReversedAdditionTasks.carries(999, 1), 3)
        XCTAssertEqual(ReversedAdditionTasks.carries(555, 555), 3)
    }

    func testValidationAndTestAreCleanTargetsAndEveryQuestionHasOneOwner() {
        for split in [Split.validation, .test] {
            let problems = ArithmeticTasks.problems(split, 0..<1000, config: config)
            XCTAssertTrue(problems.allSatisfy { $0.component == .target && !$0.rewardInverted && !$0.hasUnreliableReward }, "\(split)")
            for problem in problems {
                let (a, _, b) = parse(problem)
                XCTAssertEqual(ArithmeticTasks.owner(tier: 10, a, b), split, problem.prompt)
            }
        }
        // No pool or warm-up of any seed holds a validation or test question.
        let held = Set((ArithmeticTasks.problems(.validation, 0..<1000, config: config)
                        + ArithmeticTasks.problems(.test, 0..<1000, config: config)).map(\.prompt))
        for seed in [1, 2, 0x5741_524D] as [UInt64] {
            var other = config
            other.seed = seed
            let train = ArithmeticTasks.problems(.train, 0..<3000, config: other)
            XCTAssertTrue(train.allSatisfy { !held.contains($0.prompt) }, "seed \(seed)")
            for problem in train {
                let (a, _, b) = parse(problem)
                let family = [TaskComponent.target: 10, .unreliable: 10, .distractor: 11, .hard: 12, .easy: 14][problem.component]!
                XCTAssertEqual(ArithmeticTasks.owner(tier: family, a, b), .train, problem.prompt)
            }
        }
        // The arithmetic family is unchanged by the new field: its default is arithmetic.
        XCTAssertEqual(TaskConfig().task, .arithmetic)
    }

    func testRaisingTheNoiseOnlyTurnsMoreProblemsUnreliable() {
        var low = config, high = config
        low.labelNoise = 0.1
        high.labelNoise = 0.3
        let a = ArithmeticTasks.problems(.train, 0..<2000, config: low), b = ArithmeticTasks.problems(.train, 0..<2000, config: high)
        for (x, y) in zip(a, b) where x.component == .unreliable { XCTAssertEqual(y.component, .unreliable) }
        XCTAssertGreaterThan(b.filter { $0.component == .unreliable }.count, a.filter { $0.component == .unreliable }.count + 200)
    }

    /// The unreliable component's reward is inverted where GRPO reads it (rollout rewards, so the
    /// gradient is exactly the negation of its clean twin's) and never where accuracy is measured.
    func testTheUnreliableRewardIsInvertedInTrainingAndNeverInEvaluation() throws {
        let noisy = try XCTUnwrap(ArithmeticTasks.problems(.train, 0..<200, config: config).first { $0.component == .unreliable })
        let clean = Problem(index: noisy.index, prompt: noisy.prompt, prefixLength: noisy.prefixLength, answer: noisy.answer,
                            trueAnswer: noisy.trueAnswer, tier: noisy.tier, kind: noisy.kind, split: noisy.split, component: .target)
        let right = CharacterVocabulary.encode(noisy.trueAnswer)! + [CharacterVocabulary.endOfAnswer]
        let wrong = CharacterVocabulary.encode("1")! + [CharacterVocabulary.endOfAnswer]
        XCTAssertEqual(noisy.trainingReward(written: right), 0)
        XCTAssertEqual(noisy.trainingReward(written: wrong), 1)
        XCTAssertEqual(clean.trainingReward(written: right), 1)
        XCTAssertEqual(Reward.score(written: right, answer: noisy.trueAnswer), 1, "correctness is against the true answer")

        // A policy that answers some rollouts right: the twins' rollouts are the same draws, their
        // rewards complementary, their gradients exact negations.
        let policy = TrainedPolicies.reversedWarmStart()
        let projection = GradientProjection(seed: 3, config: policy.config, outputDimension: 64)
        let candidates = ArithmeticTasks.problems(.train, 0..<600, config: config).filter { $0.component == .unreliable }
        var checked = 0
        for problem in candidates {
            let twin = Problem(index: problem.index, prompt: problem.prompt, prefixLength: problem.prefixLength, answer: problem.answer,
                               trueAnswer: problem.trueAnswer, tier: problem.tier, kind: problem.kind, split: problem.split, component: .target)
            let a = GRPO.signals(policy: policy, problem: problem, rollouts: 8, seed: 4, epoch: 1, projection: projection)
            let b = GRPO.signals(policy: policy, problem: twin, rollouts: 8, seed: 4, epoch: 1, projection: projection)
            XCTAssertEqual(a.rewards, b.rewards.map { 1 - $0 })
            XCTAssertEqual(a.projectedGradient, b.projectedGradient.map { -$0 })
            if b.gradientNorm > 0 { checked += 1 }
            // Evaluation never sees the inversion.
            XCTAssertEqual(Evaluation.correctness(policy: policy, problems: [problem]), Evaluation.correctness(policy: policy, problems: [twin]))
            XCTAssertEqual(Evaluation.sampledCorrect(policy: policy, problems: [problem], samples: 8, seed: 2),
                           Evaluation.sampledCorrect(policy: policy, problems: [twin], samples: 8, seed: 2))
            if checked >= 3 { break }
        }
        XCTAssertEqual(checked, 3, "some unreliable problems have mixed rollouts at the warm start")
    }
}
