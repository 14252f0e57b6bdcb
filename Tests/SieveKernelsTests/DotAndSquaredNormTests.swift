import XCTest
import SieveKernels

final class DotAndSquaredNormTests: XCTestCase {
    static let dimensions = [1, 7, 8, 9, 64, 1000]
    static let types: [ElementType] = [.float32, .float16, .bfloat16]

    /// The kernel against a scalar Double computation over the decoded element values.
    ///
    /// A dot product of mixed-sign terms can cancel, so its error is measured against the sum of
    /// the terms' magnitudes (the usual relative bound); the squared norm has no cancellation and
    /// is compared relative to itself.
    private func assertMatchesScalar(_ row: EncodedRow, reference: [Float], byteOffset: Int = 0,
                                     file: StaticString = #filePath, line: UInt = #line) {
        var dot = 0.0, magnitude = 0.0, norm = 0.0
        for (x, g) in zip(row.values, reference) {
            dot += x * Double(g)
            magnitude += abs(x * Double(g))
            norm += x * x
        }
        let result = row.withRow(atByteOffset: byteOffset) { pointer in
            reference.withUnsafeBufferPointer { RowKernels.dotAndSquaredNorm(row: pointer, type: row.type, reference: $0) }
        }
        let context = "\(row.type), d = \(reference.count), offset \(byteOffset)"
        XCTAssertEqual(result.dot, dot, accuracy: 1e-5 * max(magnitude, .leastNormalMagnitude), context, file: file, line: line)
        XCTAssertEqual(result.squaredNorm, norm, accuracy: 1e-5 * max(norm, .leastNormalMagnitude), context, file: file, line: line)
    }

    func testMatchesScalarDoubleForEveryTypeAndTailLength() {
        for type in Self.types {
            for d in Self.dimensions {
                var values = TestValues(seed: UInt64(d) * 31 + 7)
                let row = EncodedRow(values.take(d), as: type)
                assertMatchesScalar(row, reference: values.take(d))
            }
        }
    }

    func testSameSignRowsMatchWithinRelativeErrorOfTheDotItself() {
        // With every term positive there is no cancellation: 1e-5 relative to the dot itself.
        for type in Self.types {
            for d in Self.dimensions {
                var values = TestValues(seed: UInt64(d) + 1000)
                let row = EncodedRow(values.take(d).map { abs($0) + 0.25 }, as: type)
                let reference = values.take(d).map { abs($0) + 0.5 }
                let expected = zip(row.values, reference).reduce(0.0) { $0 + $1.0 * Double($1.1) }
                let result = row.withRow(atByteOffset: 0) { pointer in
                    reference.withUnsafeBufferPointer { RowKernels.dotAndSquaredNorm(row: pointer, type: type, reference: $0) }
                }
                XCTAssertEqual(result.dot, expected, accuracy: 1e-5 * expected, "\(type), d = \(d)")
            }
        }
    }

    func testRowsAtUnalignedAddressesGiveTheSameResults() {
        for type in Self.types {
            for d in Self.dimensions {
                var values = TestValues(seed: UInt64(d) * 17 + 3)
                let row = EncodedRow(values.take(d), as: type)
                let reference = values.take(d)
                let aligned = row.withRow(atByteOffset: 0) { pointer in
                    reference.withUnsafeBufferPointer { RowKernels.dotAndSquaredNorm(row: pointer, type: type, reference: $0) }
                }
                for offset in [1, 2] {
                    assertMatchesScalar(row, reference: reference, byteOffset: offset)
                    let shifted = row.withRow(atByteOffset: offset) { pointer in
                        reference.withUnsafeBufferPointer { RowKernels.dotAndSquaredNorm(row: pointer, type: type, reference: $0) }
                    }
                    // The address must not change the arithmetic at all.
                    XCTAssertEqual(shifted.dot, aligned.dot, "\(type), d = \(d), offset \(offset)")
                    XCTAssertEqual(shifted.squaredNorm, aligned.squaredNorm, "\(type), d = \(d), offset \(offset)")
                }
            }
        }
    }

    func testNaNOrInfinityAnywhereInTheRowGivesNonFiniteResults() {
        let d = 19  // two SIMD blocks and a tail of three
        for type in Self.types {
            for bad in [Float.nan, .infinity, -.infinity] {
                for position in [0, 7, 8, 15, 16, 18] {
                    var values = TestValues.take(d, seed: 99)
                    values[position] = bad
                    let row = EncodedRow(values, as: type)
                    let reference = TestValues.take(d, seed: 5)
                    let result = row.withRow(atByteOffset: 1) { pointer in
                        reference.withUnsafeBufferPointer { RowKernels.dotAndSquaredNorm(row: pointer, type: type, reference: $0) }
                    }
                    let context = "\(type), \(bad) at \(position)"
                    XCTAssertFalse(result.dot.isFinite, context)
                    XCTAssertFalse(result.squaredNorm.isFinite, context)
                }
            }
        }
    }

    func testHalfPrecisionValuesAreUsedExactlyAsStored() {
        // Values exactly representable in every type give exact results: nothing is lost
        // or rounded on the way from the stored bits to the sums.
        let source: [Float] = [1, -2, 0.5, 3, -0.25, 4, 1.5, -8, 2, 0.125]
        let reference: [Float] = [2, 1, -4, 0.5, 8, -1, 2, 0.25, -3, 16]
        for type in Self.types {
            let row = EncodedRow(source, as: type)
            XCTAssertEqual(row.values, source.map(Double.init), "\(type) test encoding")
            let result = row.withRow(atByteOffset: 2) { pointer in
                reference.withUnsafeBufferPointer { RowKernels.dotAndSquaredNorm(row: pointer, type: type, reference: $0) }
            }
            let dot: Double = -9.5      // 2 - 2 - 2 + 1.5 - 2 - 4 + 3 - 2 - 6 + 2
            let norm: Double = 100.578125  // 1 + 4 + 0.25 + 9 + 0.0625 + 16 + 2.25 + 64 + 4 + 0.015625
            XCTAssertEqual(result.dot, dot, "\(type)")
            XCTAssertEqual(result.squaredNorm, norm, "\(type)")
        }
    }
}
