import SieveSelect
import XCTest

final class RankingTests: XCTestCase {
    func testTiesGoToTheLowerRow() {
        let scores: [Double] = [1, 2, 2, 1, 3]
        XCTAssertEqual(Ranking.top(3, of: scores), [4, 1, 2])
        XCTAssertEqual(Ranking.top(5, of: scores), [4, 1, 2, 0, 3])
        XCTAssertTrue(Ranking.ranksAhead(2, 1, 2, 2))
        XCTAssertFalse(Ranking.ranksAhead(2, 2, 2, 1))
        XCTAssertTrue(Ranking.ranksAhead(0.0, 5, -0.0, 6), "-0 and +0 tie")
    }

    func testKLargerThanTheRowCountReturnsEveryRow() {
        XCTAssertEqual(Ranking.top(10, of: [0.5, 0.7, 0.1]), [1, 0, 2])
    }

    func testKZeroOrNegativeReturnsNothing() {
        XCTAssertEqual(Ranking.top(0, of: [1, 2]), [])
        XCTAssertEqual(Ranking.top(-3, of: [1, 2]), [])
        XCTAssertEqual(Ranking.top(4, of: []), [])
    }

    func testTopMatchesAFullSortOnRandomDataWithManyTies() {
        var random = TestRandom(seed: 42)
        let scores = (0..<1000).map { _ in Double(random.next() % 37) / 4 }
        let sorted = scores.indices.sorted { scores[$0] > scores[$1] || (scores[$0] == scores[$1] && $0 < $1) }
        for k in [1, 7, 100, 999, 1000] {
            XCTAssertEqual(Ranking.top(k, of: scores), Array(sorted.prefix(k)), "k = \(k)")
        }
    }
}
