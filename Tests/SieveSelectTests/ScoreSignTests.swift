import XCTest
import SieveSelect

/// The signs of zero scores.jsonl shows (docs/methods.md, "Reproducing scores.jsonl bit for
/// bit"): a score that is 0 by rule is +0.0, never -0.0, whatever the sign of the alignment, and
/// the formulas evaluate in the documented order.
final class ScoreSignTests: XCTestCase {
    func testLearnAlignScoresPlusZeroWhenUnlearnableOrZero() {
        // weight * dot would be -0.0 for a negative dot; the rule returns +0.0.
        for (dot, squaredNorm, weight) in [(-3.0, 4.0, 0.0), (-3.0, 0.0, 0.25), (-0.0, 4.0, 0.25 * 0)] {
            let score = LearnAlign.score(dot: dot, squaredNorm: squaredNorm, weight: weight, rowCount: 10)
            XCTAssertEqual(score.bitPattern, (0.0).bitPattern, "dot \(dot), |g|^2 \(squaredNorm), V \(weight)")
        }
        XCTAssertEqual(LearnAlign.weight(success: 1).bitPattern, (0.0).bitPattern)
        XCTAssertEqual(LearnAlign.weight(success: 0).bitPattern, (0.0).bitPattern)
    }

    func testLearnAlignEvaluatesAsDocumented() {
        // (V * dot) / (sqrt(q) * N), left to right: values where another grouping rounds otherwise.
        let dot = 0.1, q = 5.0, weight = 0.21, n = 250
        let score = LearnAlign.score(dot: dot, squaredNorm: q, weight: weight, rowCount: n)
        XCTAssertEqual(score.bitPattern, ((weight * dot) / (q.squareRoot() * Double(n))).bitPattern)
        let regrouped = [weight * (dot / (q.squareRoot() * Double(n))), weight * dot / q.squareRoot() / Double(n)]
        XCTAssertTrue(regrouped.allSatisfy { $0.bitPattern != score.bitPattern }, "the values do not tell the groupings apart")
    }

    func testGradAlignCosineOfAZeroRowIsPlusZero() {
        let scored = GradAlign.score(dot: -0.0, squaredNorm: 0, referenceNorm: 2, success: 0.5)
        XCTAssertEqual(scored.cosine.bitPattern, (0.0).bitPattern)
        XCTAssertEqual(scored.score.bitPattern, (0.0).bitPattern)
        // p = 0 or 1: score +0.0 even where the cosine is negative; the cosine is still reported.
        let solved = GradAlign.score(dot: -1, squaredNorm: 1, referenceNorm: 1, success: 1)
        XCTAssertEqual(solved.score.bitPattern, (0.0).bitPattern)
        XCTAssertEqual(solved.cosine, -1)
    }

    func testLIMRDistanceIsTheSumAndTheScoreItsComplement() throws {
        // The worker's `distance` column is (1 - score) x den (docs/methods.md); LIMR.distance
        // is the sum itself. Rewards where the two differ in the last bit show why the docs
        // name the worker's formula.
        let mean = [0.3, 0.7, 0.1]
        let rewards: ArraySlice<Float> = [0, 0, 0.25][...]
        let denominator = try LIMR.denominator(mean: mean)
        let distance = LIMR.distance(rewards: rewards, mean: mean)
        var sum = 0.0
        for (a, m) in zip(rewards, mean) { sum += (Double(a) - m) * (Double(a) - m) }
        XCTAssertEqual(distance.bitPattern, sum.bitPattern)
        let score = LIMR.score(rewards: rewards, mean: mean, denominator: denominator)
        XCTAssertEqual(score.bitPattern, (1 - sum / denominator).bitPattern)
        XCTAssertNotEqual(((1 - score) * denominator).bitPattern, distance.bitPattern,
                          "(1 - score) x den and the sum agree here: the example shows nothing")
    }
}
