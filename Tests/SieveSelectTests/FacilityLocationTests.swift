@testable import SieveSelect
import XCTest

final class FacilityLocationTests: XCTestCase {
    /// Four unit vectors in the plane, rows 10..13:
    ///   v10 = (1, 0), v11 = (0.6, 0.8), v12 = (0, 1), v13 = (-1, 0)
    /// max(0, cos) row sums (the gains of the empty set): v10 1.6, v11 2.4, v12 1.8, v13 1.0.
    /// Round 1 takes v11; covers become (0.6, 1, 0.8, 0).
    /// Round 2 gains: v10 0.4, v12 0.2, v13 1.0, so v13; f = 3.4.
    /// Round 3 gains: v10 0.4, v12 0.2, so v10; f = 3.8.
    func testHandCheckableFourVectorExample() {
        let vectors: [Float] = [1, 0, 0.6, 0.8, 0, 1, -1, 0]
        let result = FacilityLocation.greedy(rows: [10, 11, 12, 13], vectors: vectors, dimension: 2, budget: 3)
        XCTAssertEqual(result.picks, [11, 13, 10])
        XCTAssertEqual(result.value, 3.8, accuracy: 1e-6)
        let all = FacilityLocation.greedy(rows: [10, 11, 12, 13], vectors: vectors, dimension: 2, budget: 9)
        XCTAssertEqual(all.picks, [11, 13, 10, 12])
        XCTAssertEqual(all.value, 4, accuracy: 1e-6)
    }

    func testTiesGoToTheLowerRowNotTheEarlierPosition() {
        // Rows 7 and 3 hold the same vector; row 5 is orthogonal to it.
        let result = FacilityLocation.greedy(rows: [7, 3, 5], vectors: [1, 0, 1, 0, 0, 1], dimension: 2, budget: 3)
        XCTAssertEqual(result.picks, [3, 5, 7])
        // An orthonormal basis: every gain is 1, so rows come in ascending order.
        let basis: [Float] = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]
        XCTAssertEqual(FacilityLocation.greedy(rows: [9, 2, 7, 4], vectors: basis, dimension: 4, budget: 4).picks, [2, 4, 7, 9])
    }

    func testLazyGreedyEqualsPlainGreedyOnRandomSmallInputs() {
        for seed: UInt64 in 1...30 {
            let (rows, vectors, dimension, budget) = randomInstance(seed: seed)
            let lazy = FacilityLocation.greedy(rows: rows, vectors: vectors, dimension: dimension, budget: budget)
            let plain = plainGreedy(rows: rows, vectors: vectors, dimension: dimension, budget: budget)
            XCTAssertEqual(lazy.picks, plain.picks, "seed \(seed)")
            XCTAssertEqual(lazy.value, plain.value, "seed \(seed)")
        }
    }

    /// Against an independent Float64 evaluation of f: each pick's gain is the round's largest
    /// up to Float32 rounding (near-ties may go either way), and f(picks) agrees.
    func testGreedyPicksMaximiseTheFloat64GainEveryRound() {
        for seed: UInt64 in 1...30 {
            let (rows, vectors, dimension, budget) = randomInstance(seed: seed)
            let n = rows.count
            let cosine = cosines(vectors, dimension: dimension)
            let picks = FacilityLocation.greedy(rows: rows, vectors: vectors, dimension: dimension, budget: budget).picks
            var cover = [Double](repeating: 0, count: n)
            for pick in picks {
                let gains = (0..<n).map { x in (0..<n).reduce(0.0) { $0 + max(0, cosine[x][$1] - cover[$1]) } }
                let index = rows.firstIndex(of: pick)!
                XCTAssertGreaterThanOrEqual(gains[index], gains.max()! - 1e-6, "seed \(seed)")
                for y in 0..<n { cover[y] = max(cover[y], cosine[index][y]) }
            }
            let value = FacilityLocation.value(of: picks, ground: rows, vectors: vectors, dimension: dimension)
            XCTAssertEqual(value, cover.reduce(0, +), accuracy: 1e-5, "seed \(seed)")
        }
    }

    func testSimilarityMatrixChangesNoBit() {
        // 300 and 520 vectors: several blocks of 96 rows, so most of the matrix is mirrored.
        for (count, dimension) in [(1, 3), (31, 5), (33, 8), (100, 17), (300, 9), (520, 40)] {
            let vectors = TestData.randomUnitVectors(count: count, dimension: dimension, seed: UInt64(count))
            let rows = Array((0..<count).reversed())
            let withMatrix = FacilityLocation.greedy(rows: rows, vectors: vectors, dimension: dimension, budget: count / 2 + 1)
            let without = FacilityLocation.greedy(rows: rows, vectors: vectors, dimension: dimension, budget: count / 2 + 1, matrixByteLimit: 0)
            XCTAssertEqual(withMatrix.picks, without.picks)
            XCTAssertEqual(withMatrix.value, without.value)
            XCTAssertEqual(FacilityLocation.value(of: withMatrix.picks, ground: rows, vectors: vectors, dimension: dimension), withMatrix.value)
        }
    }

    /// Lazy greedy with the symmetric (mirrored) matrix and batched refreshes on every core
    /// against plain greedy recomputing every dot product.
    func testLazyGreedyWithMirroredMatrixEqualsPlainGreedy() {
        for (count, dimension, seed) in [(250, 6, UInt64(21)), (400, 12, UInt64(22))] {
            let vectors = TestData.clusteredUnitVectors(count: count, dimension: dimension, clusters: 7, spread: 0.5, seed: seed)
            let rows = (0..<count).map { ($0 * 37 + 11) % 1009 }
            let lazy = FacilityLocation.greedy(rows: rows, vectors: vectors, dimension: dimension, budget: 60)
            let plain = plainGreedy(rows: rows, vectors: vectors, dimension: dimension, budget: 60)
            XCTAssertEqual(lazy.picks, plain.picks, "seed \(seed)")
            XCTAssertEqual(lazy.value, plain.value, "seed \(seed)")
        }
    }

    /// f(S) with the covers of some rows given (as GreeDi's second round has them) is the same
    /// bits as computing every cover.
    func testValueWithKnownCoversIsTheSameBits() {
        let count = 300, dimension = 10
        let vectors = TestData.clusteredUnitVectors(count: count, dimension: dimension, clusters: 6, spread: 0.5, seed: 9)
        let rows = (0..<count).map { $0 * 3 + 1 }
        let union = rows.enumerated().filter { $0.offset % 3 != 0 }.map(\.element)
        var unionVectors: [Float] = []
        for (i, _) in rows.enumerated() where i % 3 != 0 {
            unionVectors += vectors[(i * dimension)..<((i + 1) * dimension)]
        }
        let run = FacilityLocation.greedyWithCover(rows: union, vectors: unionVectors, dimension: dimension, budget: 40)
        XCTAssertEqual(run.value, run.cover.reduce(0.0) { $0 + Double($1) })
        var known: [Int: Float] = [:]
        for (i, row) in union.enumerated() { known[row] = run.cover[i] }
        let full = FacilityLocation.value(of: run.picks, ground: rows, vectors: vectors, dimension: dimension)
        let reused = FacilityLocation.value(of: run.picks, ground: rows, vectors: vectors, dimension: dimension, known: known)
        XCTAssertEqual(full.bitPattern, reused.bitPattern)
        XCTAssertEqual(FacilityLocation.value(of: run.picks, ground: union, vectors: unionVectors, dimension: dimension), run.value)
    }

    /// Round 1's picks per part: the union holds at most unionFactor x budget rows, no part gives
    /// more than it holds or more than the budget.
    func testPartBudgetRule() {
        XCTAssertEqual(FacilityLocation.partBudget(budget: 5000, partSize: 5000, parts: 4), 2500)
        XCTAssertEqual(FacilityLocation.partBudget(budget: 5000, partSize: 2500, parts: 8), 1250)
        XCTAssertEqual(FacilityLocation.partBudget(budget: 5000, partSize: 10000, parts: 2), 5000)
        XCTAssertEqual(FacilityLocation.partBudget(budget: 5000, partSize: 20000, parts: 1), 5000)
        XCTAssertEqual(FacilityLocation.partBudget(budget: 10, partSize: 3, parts: 4), 3)
        XCTAssertEqual(FacilityLocation.partBudget(budget: 10, partSize: 13, parts: 3), 7)  // ceil(20 / 3)
        XCTAssertEqual(FacilityLocation.partBudget(budget: 0, partSize: 13, parts: 3), 0)
        XCTAssertEqual(FacilityLocation.partBudget(budget: 5000, partSize: 5000, parts: 4, unionFactor: 1), 1250)
    }

    /// GreeDi with the default partitions and pool factor on a small clustered case: the set is
    /// worth at least 0.95 of single greedy's over the same candidates, and round 1 really
    /// returns fewer rows than the candidates (the union is smaller than C).
    func testGreeDiDefaultsKeepNinetyFivePercentAndSaveWork() {
        let budget = 150, count = budget * FacilityLocation.defaultPoolFactor, dimension = 24
        let parts = FacilityLocation.defaultPartitions
        let vectors = TestData.clusteredUnitVectors(count: count, dimension: dimension, clusters: 30, spread: 0.6, seed: 5)
        let rows = Array(0..<count)
        let single = FacilityLocation.greedy(rows: rows, vectors: vectors, dimension: dimension, budget: budget)
        let greeDi = FacilityLocation.greeDi(rows: rows, vectors: vectors, dimension: dimension, budget: budget, parts: parts)
        let union = FacilityLocation.partition(candidates: rows, parts: parts).reduce(0) {
            $0 + FacilityLocation.partBudget(budget: budget, partSize: $1.count, parts: parts)
        }
        XCTAssertLessThan(union, count)
        XCTAssertEqual(Set(greeDi.picks).count, budget)
        XCTAssertGreaterThanOrEqual(greeDi.value / single.value, 0.95)
    }

    func testEmptyInputsAndZeroBudget() {
        XCTAssertEqual(FacilityLocation.greedy(rows: [], vectors: [], dimension: 4, budget: 3).picks, [])
        let result = FacilityLocation.greedy(rows: [1, 2], vectors: [1, 0, 0, 1], dimension: 2, budget: 0)
        XCTAssertEqual(result.picks, [])
        XCTAssertEqual(result.value, 0)
        XCTAssertEqual(FacilityLocation.value(of: [], ground: [1, 2], vectors: [1, 0, 0, 1], dimension: 2), 0)
    }

    func testUnitRowsNormalisesAndKeepsZeroRows() {
        XCTAssertEqual(FacilityLocation.unitRows([3, 4, 0, 0, 0, -2], dimension: 2), [0.6, 0.8, 0, 0, 0, -1])
    }

    func testPartitionDealsSortedCandidatesRoundRobin() {
        let parts = FacilityLocation.partition(candidates: [40, 3, 17, 8, 25], parts: 2)
        XCTAssertEqual(parts, [[3, 17, 40], [8, 25]])
        XCTAssertEqual(FacilityLocation.partition(candidates: [5, 1], parts: 8), [[1], [5]])
        XCTAssertEqual(FacilityLocation.partition(candidates: [], parts: 8), [])
        let many = FacilityLocation.partition(candidates: Array((0..<1003).reversed()), parts: 8)
        XCTAssertEqual(many.flatMap { $0 }.sorted(), Array(0..<1003))
        XCTAssertTrue(many.allSatisfy { $0.count == 125 || $0.count == 126 })
    }

    func testGreeDiWithOnePartPicksTheSingleGreedySet() {
        let vectors = TestData.clusteredUnitVectors(count: 200, dimension: 6, clusters: 5, spread: 0.5, seed: 4)
        let rows = Array(0..<200)
        let single = FacilityLocation.greedy(rows: rows, vectors: vectors, dimension: 6, budget: 12)
        let greeDi = FacilityLocation.greeDi(rows: rows, vectors: vectors, dimension: 6, budget: 12, parts: 1)
        XCTAssertEqual(Set(greeDi.picks), Set(single.picks))
        XCTAssertEqual(greeDi.value, single.value)
    }

    /// Plain greedy: every round evaluates every remaining candidate with the same gain
    /// function the lazy version uses and takes the largest, ties to the lower row.
    private func plainGreedy(rows: [Int], vectors: [Float], dimension: Int, budget: Int) -> (picks: [Int], value: Double) {
        let tiles = CoverageTiles(vectors: vectors, count: rows.count, dimension: dimension, matrixByteLimit: 0)
        var cover = tiles.emptyCover(), remaining = Array(rows.indices), picks: [Int] = []
        for _ in 0..<min(budget, rows.count) {
            let gains = remaining.map { tiles.gain(of: $0, cover: cover) }
            let best = gains.indices.min { Ranking.ranksAhead(gains[$0], rows[remaining[$0]], gains[$1], rows[remaining[$1]]) }!
            picks.append(rows[remaining[best]])
            tiles.raise(&cover, by: remaining[best])
            remaining.remove(at: best)
        }
        return (picks, tiles.total(cover))
    }

    private func randomInstance(seed: UInt64) -> (rows: [Int], vectors: [Float], dimension: Int, budget: Int) {
        var random = TestRandom(seed: seed)
        let count = 5 + Int(random.next() % 60), dimension = 2 + Int(random.next() % 8)
        let vectors = seed % 2 == 0
            ? TestData.randomUnitVectors(count: count, dimension: dimension, seed: seed)
            : TestData.clusteredUnitVectors(count: count, dimension: dimension, clusters: 4, spread: 0.4, seed: seed)
        let rows = (0..<count).map { ($0 * 7 + 3) % 101 }  // distinct (101 is prime), not sorted
        return (rows, vectors, dimension, 1 + Int(random.next() % UInt64(count)))
    }

    /// max(0, cos) between every pair, in Float64.
    private func cosines(_ vectors: [Float], dimension: Int) -> [[Double]] {
        let n = vectors.count / dimension
        return (0..<n).map { a in
            (0..<n).map { b in
                var dot = 0.0
                for j in 0..<dimension { dot += Double(vectors[a * dimension + j]) * Double(vectors[b * dimension + j]) }
                return max(0, dot)
            }
        }
    }
}
