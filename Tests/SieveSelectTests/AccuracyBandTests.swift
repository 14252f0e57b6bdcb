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
}
