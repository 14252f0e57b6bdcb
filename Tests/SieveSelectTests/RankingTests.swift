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

    /// The O(k) ranking over kept rows: the same rows, in the same order, as a full sort of the
    /// kept rows by score (ties to the lower row).
    func testTopOverKeptRowsMatchesAFullSortOfThem() {
        var random = TestRandom(seed: 7)
        let scores: [Double?] = (0..<2000).map { _ in random.next() % 5 == 0 ? nil : Double(random.next() % 23) / 8 }
        let kept = scores.indices.filter { scores[$0] != nil }
        let sorted = kept.sorted { scores[$0]! > scores[$1]! || (scores[$0]! == scores[$1]! && $0 < $1) }
        for k in [0, 1, 9, 250, kept.count - 1, kept.count, 5000] {
            XCTAssertEqual(Ranking.top(k, count: scores.count) { scores[$0] }, Array(sorted.prefix(max(k, 0))), "k = \(k)")
        }
        let all = scores.map { $0 ?? -1 }
        XCTAssertEqual(Ranking.top(300, count: all.count) { all[$0] }, Ranking.top(300, of: all))
    }
}
