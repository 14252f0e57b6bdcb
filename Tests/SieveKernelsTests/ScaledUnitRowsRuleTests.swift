import XCTest
import SieveKernels

/// learnalign's training sum (docs/methods.md, "Reproducing scores.jsonl bit for bit"): row j
/// adds f·x_k with f = V_j / sqrt(q_j), q_j the Float64 sum of x_k·x_k in element order, not the
/// kernel's 32-lane squared norm; rows with q_j = 0 or V_j = 0 add nothing.
final class ScaledUnitRowsRuleTests: XCTestCase {
    func testRowsAddWithTheExactFloat64Norm() {
        let dimension = 40, count = 3
        var values = [Float](repeating: 0, count: dimension * count)
        for j in 0..<dimension {
            values[j] = Float(j % 9) * 0.37 - 1.1 + (j == 0 ? 4096 : 0)
            values[dimension + j] = 0                                     // a zero row
            values[2 * dimension + j] = Float((j * 7) % 11) * 0.013 + (j == 33 ? 0x1p-9 : 0)
        }
        let scales = [0.1875, 0.25, 0.24]
        let rows = EncodedRow(values, as: .float32)
        var sum = [Double](repeating: 0.5, count: dimension)
        let bad = rows.withRow(atByteOffset: 0) { pointer in
            sum.withUnsafeMutableBufferPointer {
                RowKernels.addScaledUnitRows(pointer, count: count, dimension: dimension, type: .float32, scales: scales, into: $0)
            }
        }
        XCTAssertNil(bad)

        var expected = [Double](repeating: 0.5, count: dimension), withKernelNorm = expected
        for r in 0..<count {
            let x = (0..<dimension).map { Double(values[r * dimension + $0]) }
            var q = 0.0
            for v in x { q += v * v }
            let kernelQ = rows.withRow(atByteOffset: r * dimension * 4) { pointer in
                [Float](repeating: 0, count: dimension).withUnsafeBufferPointer {
                    RowKernels.dotAndSquaredNorm(row: pointer, type: .float32, reference: $0).squaredNorm
                }
            }
            guard q > 0, scales[r] != 0 else { continue }
            let f = scales[r] / q.squareRoot(), g = scales[r] / kernelQ.squareRoot()
            for k in 0..<dimension {
                expected[k] += f * x[k]
                withKernelNorm[k] += g * x[k]
            }
        }
        XCTAssertEqual(sum.map(\.bitPattern), expected.map(\.bitPattern))
        XCTAssertNotEqual(withKernelNorm.map(\.bitPattern), expected.map(\.bitPattern),
                          "the kernel's norm gives the same bits here: the rows do not test the rule")
    }
}
