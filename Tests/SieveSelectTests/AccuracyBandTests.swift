import SieveSelect
import XCTest

final class AccuracyBandTests: XCTestCase {
    func testBoundsAreStrict() {
        XCTAssertNil(AccuracyBand.score(success: 0))
        XCTAssertNil(AccuracyBand.score(success: 1))
        XCTAssertEqual(AccuracyBand.score(success: 0.5), 0)
        XCTAssertEqual(AccuracyBand.score(success: 0.5)?.sign, .plus)
        XCTAssertEqual(AccuracyBand.score(success: 0.25), -0.25)
        XCTAssertNil(AccuracyBand.score(success: 0.25, low: 0.25, high: 0.75))
        XCTAssertNil(AccuracyBand.score(success: 0.75, low: 0.25, high: 0.75))
        XCTAssertEqual(AccuracyBand.score(success: 0.375, low: 0.25, high: 0.75), -0.125)
        XCTAssertNil(AccuracyBand.score(success: .nan))
    }

    func testSelectRanksByDistanceFromOneHalfWithTiesToTheLowerRow() {
        let success: [Float] = [0, 0.5, 1, 0.25, 0.75, 0.875, 0.125, 0.5]
        let scores = success.map { AccuracyBand.score(success: $0) }
        XCTAssertEqual(AccuracyBand.select(scores: scores, budget: 10), [1, 7, 3, 4, 5, 6])
        XCTAssertEqual(AccuracyBand.select(scores: scores, budget: 3), [1, 7, 3])
        XCTAssertEqual(AccuracyBand.select(scores: scores, budget: 0), [])
        XCTAssertEqual(AccuracyBand.select(scores: [nil, nil], budget: 2), [])
    }

    /// Straight from the success column (as the coordinator has it) and through the optional
    /// scores: the same selection, band and ties included.
    func testSelectFromSuccessEqualsSelectFromScores() {
        let success: [Double] = (0..<3000).map { Double(Float(($0 * 7919) % 17) / 16) }
        for (low, high) in [(0.0, 1.0), (0.2, 0.8), (0.5, 0.9)] {
            let scores = success.map { AccuracyBand.score(success: Float($0), low: low, high: high) }
            for budget in [0, 1, 40, 2999, 4000] {
                XCTAssertEqual(AccuracyBand.select(success: success, low: low, high: high, budget: budget),
                               AccuracyBand.select(scores: scores, budget: budget), "band (\(low), \(high)), budget \(budget)")
            }
        }
    }
}
