import Foundation
import SieveSelect
import XCTest

final class FacilityLocationScaleTests: XCTestCase {
    /// 20,000 clustered candidates at d = 32, budget 500, 8 parts: GreeDi's set is worth at
    /// least 95% of single greedy's, f measured over all candidates.
    func testGreeDiReachesNinetyFivePercentOfSingleGreedyOnTwentyThousandCandidates() {
        let count = 20_000, dimension = 32, budget = 500, parts = 8
        let vectors = TestData.clusteredUnitVectors(count: count, dimension: dimension, clusters: 200, spread: 0.6, seed: 7)
        let rows = Array(0..<count)
        var clock = ContinuousClock.now
        let single = FacilityLocation.greedy(rows: rows, vectors: vectors, dimension: dimension, budget: budget)
        let singleTime = ContinuousClock.now - clock
        clock = ContinuousClock.now
        let greeDi = FacilityLocation.greeDi(rows: rows, vectors: vectors, dimension: dimension, budget: budget, parts: parts)
        let greeDiTime = ContinuousClock.now - clock
        let ratio = greeDi.value / single.value
        print("facility-location GreeDi ratio: \(ratio) (GreeDi f = \(greeDi.value) in \(greeDiTime); single greedy f = \(single.value) in \(singleTime))")
        XCTAssertEqual(Set(greeDi.picks).count, budget)
        XCTAssertEqual(single.value, FacilityLocation.value(of: single.picks, ground: rows, vectors: vectors, dimension: dimension))
        XCTAssertGreaterThanOrEqual(ratio, 0.95)
    }

    /// The benchmark of the brief: single greedy over 20,000 candidates at d = 64, budget 5,000.
    /// Takes seconds and 1.6 GB, so it runs only with GRADSIEVE_BENCH=1 in the environment.
    func testSingleGreedyBenchmark() throws {
        try XCTSkipUnless(ProcessInfo.processInfo.environment["GRADSIEVE_BENCH"] != nil, "set GRADSIEVE_BENCH=1 to run")
        let count = 20_000, dimension = 64, budget = 5_000
        for (name, vectors) in [
            ("clustered", TestData.clusteredUnitVectors(count: count, dimension: dimension, clusters: 200, spread: 0.6, seed: 11)),
            ("isotropic", TestData.randomUnitVectors(count: count, dimension: dimension, seed: 12)),
        ] {
            let clock = ContinuousClock.now
            let single = FacilityLocation.greedy(rows: Array(0..<count), vectors: vectors, dimension: dimension, budget: budget)
            print("single greedy, \(name), 20000 x 64, budget 5000: \(ContinuousClock.now - clock), f = \(single.value)")
        }
    }
}
