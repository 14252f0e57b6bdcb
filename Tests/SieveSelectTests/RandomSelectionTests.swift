import SieveSelect
import XCTest

final class RandomSelectionTests: XCTestCase {
    func testSampleIsDeterministicForASeedAndEpoch() {
        let a = RandomSelection.sample(rowCount: 1000, budget: 40, seed: 3, epoch: 1)
        XCTAssertEqual(a, RandomSelection.sample(rowCount: 1000, budget: 40, seed: 3, epoch: 1))
        XCTAssertNotEqual(a, RandomSelection.sample(rowCount: 1000, budget: 40, seed: 4, epoch: 1))
        XCTAssertNotEqual(a, RandomSelection.sample(rowCount: 1000, budget: 40, seed: 3, epoch: 2))
    }

    func testSampleHasNoRepeatsAndALargerBudgetExtendsASmallerOne() {
        for seed: UInt64 in 0..<10 {
            let picks = RandomSelection.sample(rowCount: 300, budget: 200, seed: seed, epoch: 1)
            XCTAssertEqual(Set(picks).count, 200)
            XCTAssertTrue(picks.allSatisfy { (0..<300).contains($0) })
            XCTAssertEqual(RandomSelection.sample(rowCount: 300, budget: 50, seed: seed, epoch: 1), Array(picks.prefix(50)))
        }
    }

    func testBudgetBeyondThePoolIsAPermutationOfEveryRow() {
        let picks = RandomSelection.sample(rowCount: 17, budget: 99, seed: 1, epoch: 1)
        XCTAssertEqual(picks.sorted(), Array(0..<17))
        XCTAssertEqual(RandomSelection.sample(rowCount: 17, budget: 0, seed: 1, epoch: 1), [])
        XCTAssertEqual(RandomSelection.sample(rowCount: 0, budget: 5, seed: 1, epoch: 1), [])
    }

    func testEveryRowIsAboutEquallyLikely() {
        var counts = [Int](repeating: 0, count: 10)
        for seed: UInt64 in 0..<10_000 {
            counts[RandomSelection.sample(rowCount: 10, budget: 1, seed: seed, epoch: 1)[0]] += 1
        }
        // 1000 expected per row, standard deviation 30.
        XCTAssertTrue(counts.allSatisfy { abs($0 - 1000) < 150 }, "\(counts)")
    }
}
