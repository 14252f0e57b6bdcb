import SieveSelect
import XCTest

final class LIMRTests: XCTestCase {
    /// Worked by hand, N = 3, K = 2:
    ///   a0 = [0, 1], a1 = [0, 0], a2 = [1, 1]; abar = [1/3, 2/3]
    ///   denominator = (2/3)^2 + (1/3)^2 = 5/9
    ///   row 0: (1/3)^2 + (1/3)^2 = 2/9 -> 1 - (2/9)/(5/9) = 0.6
    ///   row 1: (1/3)^2 + (2/3)^2 = 5/9 -> 0
    ///   row 2: (2/3)^2 + (1/3)^2 = 5/9 -> 0
    func testThreeRowHistoryWorkedByHand() throws {
        let rewards: [Float] = [0, 1, 0, 0, 1, 1]
        let scores = try scoresOf(rewards, rows: 3, epochs: 2)
        XCTAssertEqual(scores[0], 0.6, accuracy: 1e-12)
        XCTAssertEqual(scores[1], 0, accuracy: 1e-12)
        XCTAssertEqual(scores[2], 0, accuracy: 1e-12)
    }

    func testMeanAndDenominatorFromPartialSums() throws {
        var sum = [Double](repeating: 0, count: 2)
        LIMR.addRewards([0, 1, 0, 0], rowCount: 2, epochs: 2, into: &sum)
        LIMR.addRewards([1, 1, 0, 1], rowCount: 2, epochs: 2, into: &sum)
        XCTAssertEqual(sum, [1, 3])
        let mean = LIMR.mean(sum: sum, rowCount: 4)
        XCTAssertEqual(mean, [0.25, 0.75])
        XCTAssertEqual(try LIMR.denominator(mean: mean), 0.625)  // (3/4)^2 + (1/4)^2
    }

    /// N = 4, K = 2, everything dyadic: abar = [1/4, 3/4], denominator 5/8; rows 1 and 2 score
    /// exactly 0, rows 0 and 3 score 1 - (1/8)/(5/8) = 0.8.
    func testThresholdKeepsScoresGreaterOrEqualInRankOrder() throws {
        let scores = try scoresOf([0, 1, 0, 0, 1, 1, 0, 1], rows: 4, epochs: 2)
        XCTAssertEqual(scores[1], 0)
        XCTAssertEqual(scores[0], 0.8, accuracy: 1e-15)
        XCTAssertEqual(LIMR.select(scores: scores, threshold: 0, budget: nil), [0, 3, 1, 2], "0 >= 0 keeps rows 1 and 2")
        XCTAssertEqual(LIMR.select(scores: scores, threshold: scores[0], budget: nil), [0, 3])
        XCTAssertEqual(LIMR.select(scores: scores, threshold: scores[0].nextUp, budget: nil), [])
        XCTAssertEqual(LIMR.select(scores: scores, threshold: LIMR.defaultThreshold, budget: nil), [0, 3])
    }

    func testBudgetTakesTheTopRowsWhateverTheThreshold() throws {
        let scores = try scoresOf([0, 1, 0, 0, 1, 1, 0, 1], rows: 4, epochs: 2)
        XCTAssertEqual(LIMR.select(scores: scores, threshold: 0.99, budget: 3), [0, 3, 1])
        XCTAssertEqual(LIMR.select(scores: scores, threshold: 0.99, budget: 0), [])
    }

    func testAllOnesHistoryIsAnError() {
        XCTAssertThrowsError(try LIMR.denominator(mean: [1, 1, 1])) { error in
            guard let error = error as? SelectionError else { return XCTFail("\(error)") }
            XCTAssertEqual(error.method, "limr")
            XCTAssertTrue(error.message.contains("every epoch's mean reward is 1"), error.message)
        }
        XCTAssertNoThrow(try LIMR.denominator(mean: [1, 0.999]))
    }

    private func scoresOf(_ rewards: [Float], rows: Int, epochs: Int) throws -> [Double] {
        var sum = [Double](repeating: 0, count: epochs)
        LIMR.addRewards(rewards, rowCount: rows, epochs: epochs, into: &sum)
        let mean = LIMR.mean(sum: sum, rowCount: rows)
        let denominator = try LIMR.denominator(mean: mean)
        return (0..<rows).map { LIMR.score(rewards: rewards[($0 * epochs)..<(($0 + 1) * epochs)], mean: mean, denominator: denominator) }
    }
}
