import Foundation
import SieveSelect
import XCTest

final class GainRLTests: XCTestCase {
    func testRankIsAngleDescendingWithTiesToTheLowerRow() {
        XCTAssertEqual(GainRL.rank(angles: [0.5, 0.9, 0.5, 0.1]), [1, 0, 2, 3])
    }

    func testSamplingIsDeterministicForASeedAndEpoch() {
        let ranked = Array((0..<1000).reversed())
        let a = GainRL.sample(ranked: ranked, budget: 50, mu: 200, sigma: 100, seed: 7, epoch: 3)
        XCTAssertEqual(a, GainRL.sample(ranked: ranked, budget: 50, mu: 200, sigma: 100, seed: 7, epoch: 3))
        XCTAssertNotEqual(a, GainRL.sample(ranked: ranked, budget: 50, mu: 200, sigma: 100, seed: 8, epoch: 3))
        XCTAssertNotEqual(a, GainRL.sample(ranked: ranked, budget: 50, mu: 200, sigma: 100, seed: 7, epoch: 4))
    }

    func testSampleNeverRepeatsARowAndComesBackInRankOrder() {
        let ranked = Array((0..<500).reversed())  // rank r is row 499 - r
        for seed: UInt64 in 0..<20 {
            let picks = GainRL.sample(ranked: ranked, budget: 120, mu: 50, sigma: 80, seed: seed, epoch: 1)
            XCTAssertEqual(picks.count, 120)
            XCTAssertEqual(Set(picks).count, 120)
            let ranks = picks.map { 499 - $0 }
            XCTAssertEqual(ranks, ranks.sorted())
        }
    }

    func testBudgetBeyondThePoolTakesEveryRowInRankOrder() {
        XCTAssertEqual(GainRL.sample(ranked: [3, 1, 2, 0], budget: 9, mu: 0, sigma: 1, seed: 1, epoch: 1), [3, 1, 2, 0])
        XCTAssertEqual(GainRL.sample(ranked: [3, 1, 2, 0], budget: 0, mu: 0, sigma: 1, seed: 1, epoch: 1), [])
    }

    func testMuZeroAndSmallSigmaConcentratesOnTheTopRanks() {
        let ranked = Array((0..<10_000).reversed())
        for seed: UInt64 in 0..<10 {
            let picks = GainRL.sample(ranked: ranked, budget: 10, mu: 0, sigma: 5, seed: seed, epoch: 1)
            XCTAssertTrue(picks.allSatisfy { 9_999 - $0 < 40 }, "\(picks)")
        }
    }

    /// A centre far past the last rank: every weight underflows in linear space, yet the draw
    /// still prefers the ranks nearest mu (log-space keys).
    func testCentreFarBeyondThePoolTakesTheLastRanks() {
        let picks = GainRL.sample(ranked: Array(0..<100), budget: 3, mu: 1e6, sigma: 1, seed: 5, epoch: 2)
        XCTAssertEqual(picks, [97, 98, 99])
    }

    /// With weights w = (1, e^-1/2, e^-2) for ranks 0, 1, 2 (mu 0, sigma 1), one draw picks rank r
    /// with probability w_r / sum w = (0.5741, 0.3482, 0.0777); two draws without replacement
    /// include rank 2 with probability sum_r P(first r) P(2 | not r) + P(first 2) = 0.2239.
    func testDrawLawIsWeightedSamplingWithoutReplacement() {
        let w: [Double] = [1, Foundation.exp(-0.5), Foundation.exp(-2)]
        let total = w.reduce(0, +)
        var single = [0, 0, 0], rankTwoInPair = 0
        let trials = 20_000
        for seed in 0..<UInt64(trials) {
            single[GainRL.sample(ranked: [0, 1, 2], budget: 1, mu: 0, sigma: 1, seed: seed, epoch: 1)[0]] += 1
            if GainRL.sample(ranked: [0, 1, 2], budget: 2, mu: 0, sigma: 1, seed: seed, epoch: 9).contains(2) { rankTwoInPair += 1 }
        }
        for r in 0..<3 {
            XCTAssertEqual(Double(single[r]) / Double(trials), w[r] / total, accuracy: 0.015, "rank \(r)")
        }
        let afterRankZero: Double = (w[0] / total) * (w[2] / (w[1] + w[2]))
        let afterRankOne: Double = (w[1] / total) * (w[2] / (w[0] + w[2]))
        let p = afterRankZero + afterRankOne + w[2] / total
        XCTAssertEqual(Double(rankTwoInPair) / Double(trials), p, accuracy: 0.015)
    }

    func testShiftFollowsTheTanhFormula() {
        let p = GainRLParameters()
        XCTAssertEqual(p, GainRLParameters(n: 500, alpha: 2, beta: 0.5, sigma: 1000, maxShift: 1000))
        XCTAssertEqual(GainRL.shift(accuracy: 0.5, meanAngle: 0, parameters: p), 0)
        XCTAssertEqual(GainRL.shift(accuracy: 1, meanAngle: 0.5, parameters: p), 1000 * Foundation.tanh(1), accuracy: 1e-9)
        XCTAssertEqual(GainRL.shift(accuracy: 1, meanAngle: 1, parameters: p), 500 * (Foundation.tanh(1) + Foundation.tanh(2)), accuracy: 1e-9)
        XCTAssertEqual(GainRL.shift(accuracy: 0.25, meanAngle: 0.4, parameters: p),
                       500 * (Foundation.tanh(-0.5) + Foundation.tanh(0.8)), accuracy: 1e-9)
    }

    func testNextMuClampsTheShiftToZeroAndMaxShift() {
        let p = GainRLParameters()
        XCTAssertEqual(GainRL.nextMu(300, accuracy: 0, meanAngle: 0, parameters: p), 300, "negative shift clamps to 0")
        let big = GainRLParameters(n: 1000)
        XCTAssertEqual(GainRL.nextMu(300, accuracy: 1, meanAngle: 1, parameters: big), 1300, "1725.6 clamps to 1000")
        let narrow = GainRLParameters(maxShift: 10)
        XCTAssertEqual(GainRL.nextMu(0, accuracy: 1, meanAngle: 1, parameters: narrow), 10)
        XCTAssertEqual(GainRL.nextMu(42, accuracy: 1, meanAngle: 1, parameters: p), 42 + 500 * (Foundation.tanh(1) + Foundation.tanh(2)), accuracy: 1e-9)
    }

    func testFeedbackAveragesTheCurriculum() {
        let feedback = GainRL.feedback(curriculum: [2, 0], success: [0.5, 0, 1], angles: [0.25, 0.5, 0.75])
        XCTAssertEqual(feedback?.accuracy, 0.75)
        XCTAssertEqual(feedback?.meanAngle, 0.5)
        XCTAssertNil(GainRL.feedback(curriculum: [], success: [], angles: []))
    }
}
