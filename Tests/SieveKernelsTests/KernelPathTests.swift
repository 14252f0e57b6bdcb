import XCTest
import SieveKernels

/// The AVX2 and portable paths must give the same bits, batch calls the same bits as per-row
/// calls, and several references the same bits as one at a time: a row's result may depend on
/// nothing but the row and the reference.
final class KernelPathTests: XCTestCase {
    static let types: [ElementType] = [.float32, .float16, .bfloat16]
    static let dimensions = [1, 7, 31, 32, 33, 100, 1024, 1031]

    override func tearDown() {
        RowKernels.usePath("avx2")  // back to the default choice (portable where AVX2 is absent)
        super.tearDown()
    }

    /// `count` rows, back to back, with large and small magnitudes mixed so rounding matters.
    private func rows(_ count: Int, _ d: Int, _ type: ElementType, seed: UInt64) -> EncodedRow {
        var values = TestValues(seed: seed)
        let source = (0..<(count * d)).map { i -> Float in
            let v = values.next()
            return i % 5 == 0 ? v * 300 : v * 1e-3
        }
        return EncodedRow(source, as: type)
    }

    private func batch(_ stored: EncodedRow, count: Int, d: Int, references: [Float], offset: Int = 0) -> ([Double], [Double]) {
        let k = references.count / d
        var dots = [Double](repeating: .nan, count: count * k)
        var norms = [Double](repeating: .nan, count: count)
        stored.withRow(atByteOffset: offset) { pointer in
            references.withUnsafeBufferPointer { refs in
                dots.withUnsafeMutableBufferPointer { dotsOut in
                    norms.withUnsafeMutableBufferPointer { normsOut in
                        RowKernels.dotsAndSquaredNorms(rows: pointer, count: count, dimension: d, type: stored.type,
                                                       references: refs, dots: dotsOut, squaredNorms: normsOut)
                    }
                }
            }
        }
        return (dots, norms)
    }

    func testPortableAndAVX2PathsGiveTheSameBits() throws {
        guard RowKernels.usePath("avx2") == "avx2" else { throw XCTSkip("this CPU has no AVX2; only the portable path runs") }
        for type in Self.types {
            for d in Self.dimensions {
                let stored = rows(6, d, type, seed: UInt64(d * 7 + 1))
                let references = TestValues.take(2 * d, seed: UInt64(d)).map { $0 * 50 }
                RowKernels.usePath("avx2")
                let fast = batch(stored, count: 6, d: d, references: references, offset: 1)
                RowKernels.usePath("portable")
                XCTAssertEqual(RowKernels.path, "portable")
                let portable = batch(stored, count: 6, d: d, references: references, offset: 3)
                XCTAssertEqual(fast.0.map(\.bitPattern), portable.0.map(\.bitPattern), "dots, \(type), d = \(d)")
                XCTAssertEqual(fast.1.map(\.bitPattern), portable.1.map(\.bitPattern), "norms, \(type), d = \(d)")
            }
        }
    }

    func testBatchAndSeveralReferencesMatchOneRowOneReferenceAtATime() {
        for path in ["avx2", "portable"] {
            RowKernels.usePath(path)
            for type in Self.types {
                for d in [9, 64, 1000] {
                    let count = 5, k = 3
                    let stored = rows(count, d, type, seed: UInt64(d) + 11)
                    let references = TestValues.take(k * d, seed: UInt64(d) + 12)
                    let (dots, norms) = batch(stored, count: count, d: d, references: references, offset: 2)
                    for r in 0..<count {
                        for i in 0..<k {
                            let single = stored.withRow(atByteOffset: 0) { pointer in
                                references[(i * d)..<((i + 1) * d)].withUnsafeBufferPointer {
                                    RowKernels.dotAndSquaredNorm(row: pointer + r * d * type.byteWidth, type: type, reference: $0)
                                }
                            }
                            XCTAssertEqual(dots[r * k + i].bitPattern, single.dot.bitPattern, "\(path) \(type) d \(d) row \(r) ref \(i)")
                            XCTAssertEqual(norms[r].bitPattern, single.squaredNorm.bitPattern, "\(path) \(type) d \(d) row \(r)")
                        }
                    }
                }
            }
        }
    }

    func testPortablePathMatchesScalarDouble() {
        RowKernels.usePath("portable")
        for type in Self.types {
            for d in Self.dimensions {
                var values = TestValues(seed: UInt64(d) * 3 + 5)
                let row = EncodedRow(values.take(d), as: type)
                let reference = values.take(d)
                var dot = 0.0, magnitude = 0.0, norm = 0.0
                for (x, g) in zip(row.values, reference) {
                    dot += x * Double(g)
                    magnitude += abs(x * Double(g))
                    norm += x * x
                }
                let result = row.withRow(atByteOffset: 1) { pointer in
                    reference.withUnsafeBufferPointer { RowKernels.dotAndSquaredNorm(row: pointer, type: type, reference: $0) }
                }
                XCTAssertEqual(result.dot, dot, accuracy: 1e-5 * max(magnitude, .leastNormalMagnitude), "\(type) d \(d)")
                XCTAssertEqual(result.squaredNorm, norm, accuracy: 1e-5 * max(norm, .leastNormalMagnitude), "\(type) d \(d)")
            }
        }
    }

    func testPortableFloat16DecodingCoversSubnormalsAndSpecials() {
        RowKernels.usePath("portable")
        // Every Float16 bit pattern, one per row of d = 1, against reference 1: dot = x, norm = x^2.
        let patterns = (0...UInt16.max).map { $0 }
        let bytes = patterns.flatMap { littleEndianBytes($0) }
        var dots = [Double](repeating: 0, count: patterns.count)
        var norms = [Double](repeating: 0, count: patterns.count)
        let one: [Float] = [1]
        bytes.withUnsafeBytes { raw in
            one.withUnsafeBufferPointer { ref in
                dots.withUnsafeMutableBufferPointer { d in
                    norms.withUnsafeMutableBufferPointer { n in
                        RowKernels.dotsAndSquaredNorms(rows: raw.baseAddress!, count: patterns.count, type: .float16,
                                                       reference: ref, dots: d, squaredNorms: n)
                    }
                }
            }
        }
        for (index, bits) in patterns.enumerated() {
            let expected = Float(Float16(bitPattern: bits))
            if expected.isNaN {
                XCTAssertTrue(dots[index].isNaN, "0x\(String(bits, radix: 16))")
            } else {
                XCTAssertEqual(dots[index], Double(expected), "0x\(String(bits, radix: 16))")
            }
        }
    }

    func testAddRowsIsTheSameOnBothPaths() {
        for type in Self.types {
            let d = 37, count = 9
            let stored = rows(count, d, type, seed: 77)
            var sums: [[Double]] = []
            for path in ["avx2", "portable"] {
                RowKernels.usePath(path)
                var sum = [Double](repeating: 0.25, count: d)
                let bad = stored.withRow(atByteOffset: 1) { pointer in
                    sum.withUnsafeMutableBufferPointer {
                        RowKernels.addRows(pointer, count: count, dimension: d, type: type, into: $0)
                    }
                }
                XCTAssertNil(bad)
                sums.append(sum)
            }
            XCTAssertEqual(sums[0].map(\.bitPattern), sums[1].map(\.bitPattern), "\(type)")
        }
    }

    func testStreamReadSumsEveryWord() {
        let words = (0..<1001).map { UInt64($0) &* 0x9E37_79B9_7F4A_7C15 }
        let expected = words.reduce(0, &+)
        for path in ["avx2", "portable"] {
            RowKernels.usePath(path)
            XCTAssertEqual(words.withUnsafeBytes { RowKernels.streamRead($0) }, expected, path)
        }
    }
}
