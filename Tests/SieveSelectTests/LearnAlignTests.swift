import SieveKernels
import SieveSelect
import XCTest

final class LearnAlignTests: XCTestCase {
    func testWeightIsPTimesOneMinusP() {
        XCTAssertEqual(LearnAlign.weight(success: 0.5), 0.25)
        XCTAssertEqual(LearnAlign.weight(success: 0.25), 0.1875)
        XCTAssertEqual(LearnAlign.weight(success: 0), 0)
        XCTAssertEqual(LearnAlign.weight(success: 1), 0)
    }

    /// Worked by hand, d = 2, N = 3:
    ///   g0 = (3, 4), p = 1/2, V = 1/4,  unit (0.6, 0.8)
    ///   g1 = (0, 2), p = 1/4, V = 3/16, unit (0, 1)
    ///   g2 = (1, 0), p = 1,   V = 0
    ///   m_sum = 1/4 (0.6, 0.8) + 3/16 (0, 1) = (0.15, 0.3875); m = m_sum / 3
    ///   score0 = 1/4 <(0.6, 0.8), m> = 1/4 (0.09 + 0.31) / 3 = 1/30
    ///   score1 = 3/16 <(0, 1), m> = 3/16 * 0.3875 / 3 = 0.02421875
    ///   score2 = 0 (V = 0)
    func testHandWorkedPoolMatchesThePaperFormula() {
        let grads: [Float] = [3, 4, 0, 2, 1, 0]
        let success: [Float] = [0.5, 0.25, 1]
        let sum = sumOf(grads, dimension: 2, success: success)
        XCTAssertEqual(sum[0], 0.15, accuracy: 1e-12)
        XCTAssertEqual(sum[1], 0.3875, accuracy: 1e-12)
        func score(_ i: Int) -> Double {
            let g = (Double(grads[2 * i]), Double(grads[2 * i + 1]))
            return LearnAlign.score(dot: g.0 * sum[0] + g.1 * sum[1], squaredNorm: g.0 * g.0 + g.1 * g.1,
                                    weight: LearnAlign.weight(success: success[i]), rowCount: 3)
        }
        XCTAssertEqual(score(0), 1.0 / 30, accuracy: 1e-12)
        XCTAssertEqual(score(1), 0.02421875, accuracy: 1e-12)
        XCTAssertEqual(score(2), 0)
    }

    func testZeroGradientOrZeroWeightScoresExactlyZero() {
        XCTAssertEqual(LearnAlign.score(dot: 0, squaredNorm: 0, weight: 0.25, rowCount: 5), 0)
        XCTAssertEqual(LearnAlign.score(dot: -3, squaredNorm: 4, weight: 0, rowCount: 5).sign, .plus)
    }

    func testShardSumEqualsItsTwoHalvesAddedInOrder() {
        var random = TestRandom(seed: 9)
        let count = 10, dimension = 13
        let grads = (0..<(count * dimension)).map { _ in Float(random.normal()) }
        let success = (0..<count).map { _ in Float(random.unit()) }
        let whole = sumOf(grads, dimension: dimension, success: success)
        // One buffer continued over rows 0..<4 then 4..<10: the same bits.
        var continued = [Double](repeating: 0, count: dimension)
        add(Array(grads[0..<(4 * dimension)]), dimension: dimension, success: Array(success[0..<4]), into: &continued)
        add(Array(grads[(4 * dimension)...]), dimension: dimension, success: Array(success[4...]), into: &continued)
        XCTAssertEqual(continued, whole)
        // Two half sums from zero added afterwards, as the coordinator adds shard sums.
        let first = sumOf(Array(grads[0..<(4 * dimension)]), dimension: dimension, success: Array(success[0..<4]))
        let second = sumOf(Array(grads[(4 * dimension)...]), dimension: dimension, success: Array(success[4...]))
        for j in 0..<dimension {
            XCTAssertEqual(first[j] + second[j], whole[j], accuracy: 1e-12)
        }
    }

    func testHalfPrecisionRowsAddTheirFloatValues() {
        let values: [Float] = [1.5, -2, 0.25, 3, 0, 0, 0.5, 0.5]
        let success: [Float] = [0.5, 0.3]
        let reference = sumOf(values, dimension: 4, success: success)
        let f16 = values.map { Float16($0).bitPattern }
        let bf16 = values.map { UInt16($0.bitPattern >> 16) }  // exact: these values fit in 8 bits
        for (bits, type) in [(f16, ElementType.float16), (bf16, .bfloat16)] {
            var sum = [Double](repeating: 0, count: 4)
            let bad = bits.withUnsafeBytes { raw in
                sum.withUnsafeMutableBufferPointer {
                    LearnAlign.addWeightedUnitRows(raw.baseAddress!, count: 2, dimension: 4, type: type, success: success, into: $0)
                }
            }
            XCTAssertNil(bad)
            XCTAssertEqual(sum, reference, "\(type)")
        }
    }

    func testFirstNonFiniteRowIsReportedAndNotAdded() {
        let grads: [Float] = [1, 0, 0, 1, .nan, 1, 1, 1]
        var sum = [Double](repeating: 0, count: 2)
        let bad = grads.withUnsafeBytes { raw in
            sum.withUnsafeMutableBufferPointer {
                LearnAlign.addWeightedUnitRows(raw.baseAddress!, count: 4, dimension: 2, type: .float32,
                                               success: [0.5, 0.5, 0.5, 0.5], into: $0)
            }
        }
        XCTAssertEqual(bad, 2)
        XCTAssertEqual(sum, [0.25, 0.25])
    }

    private func sumOf(_ grads: [Float], dimension: Int, success: [Float]) -> [Double] {
        var sum = [Double](repeating: 0, count: dimension)
        add(grads, dimension: dimension, success: success, into: &sum)
        return sum
    }

    private func add(_ grads: [Float], dimension: Int, success: [Float], into sum: inout [Double]) {
        let bad = grads.withUnsafeBytes { raw in
            sum.withUnsafeMutableBufferPointer {
                LearnAlign.addWeightedUnitRows(raw.baseAddress!, count: success.count, dimension: dimension,
                                               type: .float32, success: success, into: $0)
            }
        }
        XCTAssertNil(bad)
    }
}
