import XCTest
@testable import SieveCore
import SievePolicy

final class EvaluationCountsTests: XCTestCase {
    func testCountsAddUpInTotalAndPerTier() {
        var a = EvaluationCounts()
        a.add(tier: 0, correct: true)
        a.add(tier: 0, correct: false)
        a.add(tier: 3, correct: true)
        var b = EvaluationCounts()
        b.add(tier: 3, correct: false)
        a.add(b)
        XCTAssertEqual(a.values, [2, 4, 1, 2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0])
        XCTAssertEqual(a.accuracy, 0.5)
        XCTAssertEqual(a.accuracyByTier, [0.5, nil, nil, 0.5, nil])
        XCTAssertEqual(EvaluationCounts(a.values), a)
    }

    func testMalformedResultsAreRefused() {
        XCTAssertNil(EvaluationCounts([1, 2]), "the two-value result of before the tiers")
        XCTAssertNil(EvaluationCounts([1, 2] + Array(repeating: 0, count: 10)), "the result of before sampled accuracy")
        XCTAssertNil(EvaluationCounts([3, 2] + Array(repeating: 0, count: 12)), "more correct than counted")
        XCTAssertNil(EvaluationCounts([1, 2] + Array(repeating: 0, count: 10) + [9, 8]), "more correct samples than samples")
        XCTAssertNil(EvaluationCounts([1, 2, .nan] + Array(repeating: 0, count: 11)))
        XCTAssertNil(EvaluationCounts([1, 2, -1] + Array(repeating: 0, count: 11)))
        XCTAssertNotNil(EvaluationCounts([1, 2] + Array(repeating: 0, count: 10) + [5, 16]))
        XCTAssertEqual(EvaluationCounts([1, 2] + Array(repeating: 0, count: 10) + [5, 16])!.sampledAccuracy, 5.0 / 16)
    }

    /// The evaluation task's counts: greedy per tier as before, then the sampled answers that
    /// are right against the TRUE answer, `samples` per problem.
    func testEvaluateAddsSampledCounts() {
        let policy = Policy(config: TransformerConfig(width: 16, layers: 1, heads: 2), seed: 1)
        let problems = ArithmeticTasks.problems(.test, 0..<6, config: TaskConfig(task: .reversedAddition, seed: 3))
        let counts = EvaluationCounts.evaluate(policy: policy, problems: problems, samples: 4, seed: 2)
        XCTAssertEqual(counts.values.count, EvaluationCounts.length)
        XCTAssertEqual(counts.values[1], 6)
        XCTAssertEqual(counts.values[EvaluationCounts.length - 1], 24)
        XCTAssertEqual(counts.values[EvaluationCounts.length - 2],
                       Double(Evaluation.sampledCorrect(policy: policy, problems: problems, samples: 4, seed: 2).reduce(0, +)))
        XCTAssertEqual(Array(counts.values.prefix(12)), Array(EvaluationCounts.greedy(policy: policy, problems: problems).values.prefix(12)))
    }
}
