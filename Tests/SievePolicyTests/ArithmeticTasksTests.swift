import XCTest
@testable import SievePolicy

final class ArithmeticTasksTests: XCTestCase {
    func testProblemDependsOnlyOnSeedSplitAndIndex() {
        let config = TaskConfig(seed: 7, labelNoise: 0.2, lowUtilityShare: 0.1)
        let forward = ArithmeticTasks.problems(.train, 0..<200, config: config)
        let backward = (0..<200).reversed().map { ArithmeticTasks.problem(.train, index: $0, config: config) }.reversed()
        XCTAssertEqual(forward, Array(backward))
        XCTAssertEqual(ArithmeticTasks.problem(.train, index: 123, config: config), forward[123])
        XCTAssertNotEqual(forward.map(\.prompt), ArithmeticTasks.problems(.train, 0..<200, config: TaskConfig(seed: 8)).map(\.prompt))
        XCTAssertNotEqual(forward.map(\.prompt), ArithmeticTasks.problems(.validation, 0..<200, config: config).map(\.prompt))
    }

    func testTrueAnswersAreCorrectArithmetic() {
        for problem in ArithmeticTasks.problems(.test, 0..<500, config: .clean) {
            let question = problem.prompt.dropFirst(problem.prefixLength).dropLast()
            let operation = question.first { "+-*".contains($0) && $0 != question.first }!
            let parts = question.split(separator: operation).map { Int($0)! }
            let tier = ArithmeticTasks.tiers[problem.tier]
            XCTAssertEqual(tier.operation, operation)
            XCTAssertEqual(problem.trueAnswer, String(tier.apply(parts[0], parts[1])), problem.prompt)
            XCTAssertEqual(problem.answer, problem.trueAnswer)
            XCTAssertTrue(problem.prompt.hasPrefix("Q:"))
            XCTAssertGreaterThanOrEqual(Int(problem.trueAnswer)!, 0, "subtraction never goes negative")
            XCTAssertLessThanOrEqual(problem.trueAnswer.count, ArithmeticTasks.longestRegularAnswer)
        }
    }

    func testLabelNoiseHitsOnlyTrainAtTheRequestedShare() {
        let config = TaskConfig(seed: 3, labelNoise: 0.3)
        let train = ArithmeticTasks.problems(.train, 0..<2000, config: config)
        let noisy = train.filter(\.hasWrongLabel)
        XCTAssertEqual(Double(noisy.count) / 2000, 0.3, accuracy: 0.04)
        XCTAssertTrue(noisy.allSatisfy { abs(Int($0.answer)! - Int($0.trueAnswer)!) <= 10 && Int($0.answer)! >= 0 })
        for split in [Split.validation, .test] {
            XCTAssertFalse(ArithmeticTasks.problems(split, 0..<500, config: config).contains(where: \.hasWrongLabel))
        }
    }

    func testRaisingNoiseKeepsTheQuestionsAndOnlyAddsWrongLabels() {
        let low = ArithmeticTasks.problems(.train, 0..<500, config: TaskConfig(seed: 4, labelNoise: 0.1))
        let high = ArithmeticTasks.problems(.train, 0..<500, config: TaskConfig(seed: 4, labelNoise: 0.4))
        XCTAssertEqual(low.map(\.prompt), high.map(\.prompt))
        XCTAssertEqual(low.map(\.trueAnswer), high.map(\.trueAnswer))
        for (a, b) in zip(low, high) where a.hasWrongLabel { XCTAssertEqual(a.answer, b.answer, "a noisy label stays noisy") }
    }

    func testTierWeightsShapeTheTrainSplitOnly() {
        let config = TaskConfig(seed: 5, tierWeights: [8, 1, 1, 0, 0])
        let train = ArithmeticTasks.problems(.train, 0..<2000, config: config)
        XCTAssertEqual(Double(train.filter { $0.tier == 0 }.count) / 2000, 0.8, accuracy: 0.04)
        XCTAssertFalse(train.contains { $0.tier >= 3 })
        let validation = ArithmeticTasks.problems(.validation, 0..<2000, config: config)
        for tier in 0..<ArithmeticTasks.tiers.count {
            XCTAssertEqual(Double(validation.filter { $0.tier == tier }.count) / 2000, 0.2, accuracy: 0.04)
        }
    }

    func testLowUtilityProblemsAreTrivialOrUnsolvable() {
        let config = TaskConfig(seed: 6, lowUtilityShare: 0.3)
        let train = ArithmeticTasks.problems(.train, 0..<1500, config: config)
        let low = train.filter { $0.kind != .regular }
        XCTAssertEqual(Double(low.count) / 1500, 0.3, accuracy: 0.04)
        for kind in [ProblemKind.trivial, .tooLong, .malformedLabel] { XCTAssertTrue(low.contains { $0.kind == kind }, "\(kind)") }
        let context = TransformerConfig.default.context
        for problem in low {
            XCTAssertEqual(problem.tier, -1)
            switch problem.kind {
            case .trivial:
                XCTAssertTrue(problem.prompt.hasSuffix("+0="))
                XCTAssertEqual(problem.answer, problem.trueAnswer)
            case .tooLong:
                XCTAssertLessThan(problem.prompt.count, context, "the prompt fits the context")
                XCTAssertGreaterThan(problem.prompt.count + problem.answer.count + 1, context, "the answer does not")
                XCTAssertEqual(problem.answer, problem.trueAnswer)
            case .malformedLabel:
                XCTAssertEqual(problem.answer, "00" + problem.trueAnswer)
            case .regular:
                XCTFail()
            }
        }
        XCTAssertFalse(ArithmeticTasks.problems(.validation, 0..<500, config: config).contains { $0.kind != .regular })
    }

    func testTooLongAnswerIsTheExactSum() {
        let config = TaskConfig(seed: 6, lowUtilityShare: 1, tooLongDigits: 15)
        for problem in ArithmeticTasks.problems(.train, 0..<300, config: config) where problem.kind == .tooLong {
            let parts = problem.prompt.dropFirst(2).dropLast().split(separator: "+").map { UInt64($0)! }
            XCTAssertEqual(problem.trueAnswer, String(parts[0] + parts[1]))
        }
    }

    func testVocabularyRoundTripsEveryPromptAndAnswer() {
        let config = TaskConfig(seed: 1, labelNoise: 0.2, lowUtilityShare: 0.2)
        for problem in ArithmeticTasks.problems(.train, 0..<300, config: config) {
            for text in [problem.prompt, problem.answer] {
                XCTAssertEqual(CharacterVocabulary.decode(CharacterVocabulary.encode(text)!), text)
            }
        }
        XCTAssertNil(CharacterVocabulary.encode("Q:1/2="))
        XCTAssertEqual(CharacterVocabulary.count, 18)
    }

    func testEveryQuestionBelongsToOneSplitForEverySeed() {
        // every split owns questions of every tier, in about the shares 80/10/10
        for (index, tier) in ArithmeticTasks.tiers.enumerated() {
            var owned: [Split: Int] = [:]
            var total = 0
            for a in tier.left {
                for b in tier.right where tier.operation != "-" || a >= b {
                    owned[ArithmeticTasks.owner(tier: index, a, b), default: 0] += 1
                    total += 1
                }
            }
            for split in Split.allCases { XCTAssertGreaterThan(owned[split, default: 0], 0, "tier \(index) \(split)") }
            if total >= 700 {
                XCTAssertEqual(Double(owned[.test, default: 0]) / Double(total), 0.1, accuracy: 0.03, "tier \(index)")
                XCTAssertEqual(Double(owned[.validation, default: 0]) / Double(total), 0.1, accuracy: 0.03, "tier \(index)")
            }
        }
        XCTAssertTrue((0..<10).contains { ArithmeticTasks.owner(tier: 0, $0, 0) == .train }, "trivial problems need a train a+0")

        // generated problems carry only their own split's questions, across seeds and with every knob on
        let noisy = TaskConfig(seed: 11, labelNoise: 0.3, lowUtilityShare: 0.3)
        let questions = { (problems: [Problem]) in Set(problems.map { $0.prompt.dropFirst($0.prefixLength) }) }
        let train = questions(ArithmeticTasks.problems(.train, 0..<4000, config: noisy))
            .union(questions(ArithmeticTasks.problems(.train, 0..<4000, config: WarmUpRecipe.standard.tasks)))
        let validation = questions(ArithmeticTasks.problems(.validation, 0..<2000, config: TaskConfig(seed: 12)))
        let test = questions(ArithmeticTasks.problems(.test, 0..<2000, config: TaskConfig(seed: 13)))
        XCTAssertTrue(train.isDisjoint(with: test), "a test question is in a pool or a warm-up")
        XCTAssertTrue(train.isDisjoint(with: validation))
        XCTAssertTrue(validation.isDisjoint(with: test))
        XCTAssertGreaterThan(test.count, 800, "test questions are still varied (1-digit sums and products have few)")
        for problem in ArithmeticTasks.problems(.test, 0..<500, config: .clean) {
            let question = problem.prompt.dropFirst(problem.prefixLength).dropLast()
            let operation = question.first { "+-*".contains($0) && $0 != question.first }!
            let parts = question.split(separator: operation).map { Int($0)! }
            XCTAssertEqual(ArithmeticTasks.owner(tier: problem.tier, parts[0], parts[1]), .test, problem.prompt)
        }
    }
}
