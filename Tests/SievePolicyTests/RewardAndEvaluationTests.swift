import XCTest
@testable import SievePolicy

final class RewardAndEvaluationTests: XCTestCase {
    func testRewardNeedsTheExactLabelFollowedByTheEndToken() {
        let end = CharacterVocabulary.endOfAnswer
        XCTAssertEqual(Reward.score(written: CharacterVocabulary.encode("85")! + [end], answer: "85"), 1)
        XCTAssertEqual(Reward.score(written: CharacterVocabulary.encode("85")!, answer: "85"), 0, "no end token")
        XCTAssertEqual(Reward.score(written: CharacterVocabulary.encode("850")! + [end], answer: "85"), 0)
        XCTAssertEqual(Reward.score(written: CharacterVocabulary.encode("085")! + [end], answer: "85"), 0)
    }

    func testNoisyLabelRewardsTheWrongAnswerAndEvaluationUsesTheTrueOne() {
        let config = TaskConfig(seed: 3, labelNoise: 1)
        let problem = ArithmeticTasks.problem(.train, index: 0, config: config)
        XCTAssertTrue(problem.hasWrongLabel)
        let truth = CharacterVocabulary.encode(problem.trueAnswer)! + [CharacterVocabulary.endOfAnswer]
        XCTAssertEqual(Reward.score(written: truth, answer: problem.answer), 0, "GRPO's reward follows the label")
        XCTAssertEqual(Reward.score(written: truth, answer: problem.trueAnswer), 1)
    }

    func testAccuracyIgnoresLabelsAndSplitsByTier() {
        let policy = TrainedPolicies.tierZero()
        let clean = TrainedPolicies.evaluationProblems(64)
        let relabelled = clean.map {
            Problem(index: $0.index, prompt: $0.prompt, prefixLength: $0.prefixLength, answer: "7777",
                    trueAnswer: $0.trueAnswer, tier: $0.tier, kind: $0.kind, split: $0.split)
        }
        let accuracy = Evaluation.accuracy(policy: policy, problems: clean)
        XCTAssertEqual(Evaluation.accuracy(policy: policy, problems: relabelled), accuracy)
        XCTAssertGreaterThan(accuracy, 0.3, "the warm start is partially competent on tier 0")
        let byTier = Evaluation.accuracyByTier(policy: policy, problems: clean)
        XCTAssertEqual(byTier[0], accuracy)
        XCTAssertTrue(byTier[1].isNaN)
    }

    func testBatchedGreedyDecodingMatchesOneProblemAtATime() {
        let policy = TrainedPolicies.tierZero()
        let problems = ArithmeticTasks.problems(.test, 0..<24, config: .clean)  // prompts of different lengths
        let batched = Evaluation.greedyAnswers(policy: policy, problems: problems)
        let single = problems.map { Evaluation.greedyAnswers(policy: policy, problems: [$0])[0] }
        XCTAssertEqual(batched, single)
    }

    func testPaddingDoesNotChangeEarlierPositions() {
        let policy = TrainedPolicies.tierZero()
        let transformer = Transformer(config: policy.config)
        let short = CharacterVocabulary.encode("Q:3+4=")!, long = CharacterVocabulary.encode("Q:31*42=1302")!
        let alone = Workspace(config: policy.config), together = Workspace(config: policy.config)
        alone.prepare(batch: 1, length: short.count)
        alone.setTokens(row: 0, short)
        together.prepare(batch: 2, length: long.count)
        together.setTokens(row: 0, long)
        together.setTokens(row: 1, short)
        policy.parameters.withUnsafeBufferPointer {
            transformer.forward(parameters: $0.baseAddress!, workspace: alone)
            transformer.forward(parameters: $0.baseAddress!, workspace: together)
        }
        let v = policy.config.vocabulary
        for t in 0..<short.count {
            for k in 0..<v {
                let a = alone.activations[alone.layout.logits + t * v + k]
                let b = together.activations[together.layout.logits + (long.count + t) * v + k]
                XCTAssertEqual(a, b, accuracy: 1e-4 * max(1, abs(a)))
            }
        }
    }
}

final class CachedForwardTests: XCTestCase {
    /// Computing positions in pieces, each reading the earlier positions' activations, gives the
    /// full forward pass's probabilities.
    func testForwardOverPositionRangesMatchesTheFullForward() {
        let policy = Policy(seed: 12), transformer = Transformer(config: policy.config)
        let rows = [CharacterVocabulary.encode("Q:31*42=1302.")!, CharacterVocabulary.encode("Q:7+8=15.____")!]
        let full = Workspace(config: policy.config), pieces = Workspace(config: policy.config)
        for workspace in [full, pieces] {
            workspace.prepare(batch: 2, length: 13)
            for (b, row) in rows.enumerated() { workspace.setTokens(row: b, row) }
        }
        policy.parameters.withUnsafeBufferPointer { p in
            transformer.forward(parameters: p.baseAddress!, workspace: full)
            for range in [0..<6, 6..<7, 7..<11, 11..<13] {
                transformer.forward(parameters: p.baseAddress!, workspace: pieces, positions: range)
            }
        }
        let count = 2 * 13 * policy.config.vocabulary
        for i in 0..<count {
            let a = full.activations[full.layout.probabilities + i], b = pieces.activations[pieces.layout.probabilities + i]
            XCTAssertEqual(a, b, accuracy: 1e-5)
        }
    }
}
