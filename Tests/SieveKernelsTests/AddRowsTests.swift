import XCTest
import SieveKernels

final class AddRowsTests: XCTestCase {
    /// `count` rows of `dimension` elements, stored back to back.
    private func rows(_ count: Int, _ dimension: Int, _ type: ElementType, seed: UInt64,
                      edit: (inout [Float]) -> Void = { _ in }) -> EncodedRow {
        var values = TestValues.take(count * dimension, seed: seed).map { $0 * 100 }
        edit(&values)
        return EncodedRow(values, as: type)
    }

    private func addRows(_ rows: EncodedRow, count: Int, dimension: Int, byteOffset: Int = 0,
                         into sum: inout [Double]) -> Int? {
        rows.withRow(atByteOffset: byteOffset) { pointer in
            sum.withUnsafeMutableBufferPointer {
                RowKernels.addRows(pointer, count: count, dimension: dimension, type: rows.type, into: $0)
            }
        }
    }

    func testSumsRowsInFloat64RowByRow() {
        for type in [ElementType.float32, .float16, .bfloat16] {
            for (count, dimension) in [(1, 1), (5, 7), (13, 9), (40, 64)] {
                let stored = rows(count, dimension, type, seed: UInt64(count * dimension))
                var expected = [Double](repeating: 0, count: dimension)
                for r in 0..<count {
                    for j in 0..<dimension { expected[j] += stored.values[r * dimension + j] }
                }
                var sum = [Double](repeating: 0, count: dimension)
                XCTAssertNil(addRows(stored, count: count, dimension: dimension, byteOffset: 1, into: &sum))
                // Same additions in the same order: equal to the last bit.
                XCTAssertEqual(sum, expected, "\(type), \(count) x \(dimension)")
            }
        }
    }

    func testAddsIntoTheExistingSumInsteadOfOverwritingIt() {
        let stored = rows(3, 4, .float32, seed: 1)
        var sum: [Double] = [1e12, -1, 0.5, 2]
        let start = sum
        XCTAssertNil(addRows(stored, count: 3, dimension: 4, into: &sum))
        for j in 0..<4 {
            var expected = start[j]
            for r in 0..<3 { expected += stored.values[r * 4 + j] }
            XCTAssertEqual(sum[j], expected)
        }
    }

    func testSumKeepsFloat64PrecisionAcrossManyRows() {
        // 2^24 + 1 cannot be held in a Float32; a Float32 accumulator would lose the ones.
        let count = 3
        var values: [Float] = [16_777_216]
        values += [Float](repeating: 1, count: count - 1)
        let stored = EncodedRow(values, as: .float32)
        var sum = [0.0]
        XCTAssertNil(addRows(stored, count: count, dimension: 1, into: &sum))
        XCTAssertEqual(sum[0], 16_777_218)
    }

    func testReturnsTheIndexOfTheFirstRowWithNaNOrInfinity() {
        let dimension = 9
        for type in [ElementType.float32, .float16, .bfloat16] {
            for (bad, position) in [(Float.nan, 2 * dimension + 8), (.infinity, 2 * dimension), (-.infinity, 2 * dimension + 4)] {
                let stored = rows(6, dimension, type, seed: 4) { values in
                    values[position] = bad
                    values[4 * dimension + 1] = .nan  // a later bad row must not be the one reported
                }
                var sum = [Double](repeating: 0, count: dimension)
                XCTAssertEqual(addRows(stored, count: 6, dimension: dimension, byteOffset: 2, into: &sum), 2,
                               "\(type), \(bad) at \(position)")
            }
        }
    }

    func testFirstRowBadIsIndexZeroAndLastRowBadIsItsIndex() {
        let first = rows(3, 5, .bfloat16, seed: 8) { $0[0] = .infinity }
        var sum = [Double](repeating: 0, count: 5)
        XCTAssertEqual(addRows(first, count: 3, dimension: 5, into: &sum), 0)
        let last = rows(3, 5, .float16, seed: 8) { $0[14] = .nan }
        sum = [Double](repeating: 0, count: 5)
        XCTAssertEqual(addRows(last, count: 3, dimension: 5, into: &sum), 2)
    }

    func testFloat16ValuesBeyondItsRangeBecomeInfinityAndAreReported() {
        // 70000 overflows Float16 (max 65504) when stored, so the stored row holds infinity.
        let stored = rows(2, 3, .float16, seed: 2) { $0[4] = 70_000 }
        var sum = [Double](repeating: 0, count: 3)
        XCTAssertEqual(addRows(stored, count: 2, dimension: 3, into: &sum), 1)
    }
}
