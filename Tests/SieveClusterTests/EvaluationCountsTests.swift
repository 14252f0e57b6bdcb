import XCTest
@testable import SieveCluster

final class EvaluationCountsTests: XCTestCase {
    func testCountsAddUpInTotalAndPerTier() {
        var a = EvaluationCounts()
        a.add(tier: 0, correct: true)
        a.add(tier: 0, correct: false)
        a.add(tier: 3, correct: true)
        var b = EvaluationCounts()
        b.add(tier: 3, correct: false)
        a.add(b)
        XCTAssertEqual(a.values, [2, 4, 1, 2, 0, 0, 0, 0, 1, 2, 0, 0])
        XCTAssertEqual(a.accuracy, 0.5)
        XCTAssertEqual(a.accuracyByTier, [0.5, nil, nil, 0.5, nil])
        XCTAssertEqual(EvaluationCounts(a.values), a)
    }

    func testMalformedResultsAreRefused() {
        XCTAssertNil(EvaluationCounts([1, 2]), "the two-value result of before the tiers")
        XCTAssertNil(EvaluationCounts([3, 2] + Array(repeating: 0, count: 10)), "more correct than counted")
        XCTAssertNil(EvaluationCounts([1, 2, .nan] + Array(repeating: 0, count: 9)))
        XCTAssertNil(EvaluationCounts([1, 2, -1] + Array(repeating: 0, count: 9)))
        XCTAssertNotNil(EvaluationCounts([1, 2] + Array(repeating: 0, count: 10)))
    }
}
