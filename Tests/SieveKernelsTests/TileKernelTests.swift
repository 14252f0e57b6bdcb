import XCTest
import SieveKernels

/// Facility location's blocked product (`TileKernels.tileDots`) must give, on both paths, the
/// bits `groupDots` gives group by group: every output the sum over j in order of x_j * y_j,
/// multiply then add in Float32, whatever the blocking over rows, columns and elements.
final class TileKernelTests: XCTestCase {
    override func tearDown() {
        RowKernels.usePath("avx2")
        super.tearDown()
    }

    /// `count` vectors in tiles of 8, element-interleaved, padded to groups of 32.
    private func tiled(_ vectors: [Float], count: Int, d: Int) -> [Float] {
        let padded = (count + 31) / 32 * 32
        var tiles = [Float](repeating: 0, count: padded * d)
        for y in 0..<count {
            for j in 0..<d { tiles[(y / 8) * d * 8 + j * 8 + y % 8] = vectors[y * d + j] }
        }
        return tiles
    }

    private func groupByGroup(_ x: [Float], rows: Int, d: Int, tiles: [Float], groups: Int) -> [Float] {
        var out = [Float](repeating: .nan, count: rows * groups * 32)
        x.withUnsafeBufferPointer { x in
            tiles.withUnsafeBufferPointer { t in
                out.withUnsafeMutableBufferPointer { o in
                    for g in 0..<groups {
                        TileKernels.groupDots(vectors: x.baseAddress!, rows: rows, dimension: d, tiles: t.baseAddress! + g * 32 * d,
                                              out: o.baseAddress! + g * 32, outStride: groups * 32)
                    }
                }
            }
        }
        return out
    }

    private func blocked(_ x: [Float], rows: Int, d: Int, tiles: [Float], groups: Int) -> [Float] {
        var out = [Float](repeating: .nan, count: rows * groups * 32)
        x.withUnsafeBufferPointer { x in
            tiles.withUnsafeBufferPointer { t in
                out.withUnsafeMutableBufferPointer { o in
                    TileKernels.tileDots(vectors: x.baseAddress!, rows: rows, dimension: d, tiles: t.baseAddress!, groups: groups,
                                         out: o.baseAddress!, outStride: groups * 32)
                }
            }
        }
        return out
    }

    func testBlockedProductGivesTheGroupKernelsBitsOnBothPaths() {
        // Row counts around the register block of 6, dimensions around the element block of 256.
        for (rows, count, d) in [(1, 1, 1), (5, 40, 7), (6, 64, 255), (7, 33, 256), (13, 100, 257), (96, 70, 1024), (20, 64, 600)] {
            var values = TestValues(seed: UInt64(rows * 1000 + d))
            let mixed = { (i: Int) -> Float in
                let v = values.next()
                return i % 5 == 0 ? v * 300 : v * 1e-3
            }
            let x = (0..<(rows * d)).map(mixed)
            let ys = (0..<(count * d)).map(mixed)
            let tiles = tiled(ys, count: count, d: d)
            let groups = (count + 31) / 32
            var results: [[UInt32]] = []
            for path in ["avx2", "portable"] {
                RowKernels.usePath(path)
                results.append(groupByGroup(x, rows: rows, d: d, tiles: tiles, groups: groups).map(\.bitPattern))
                results.append(blocked(x, rows: rows, d: d, tiles: tiles, groups: groups).map(\.bitPattern))
            }
            for result in results.dropFirst() {
                XCTAssertEqual(result, results[0], "rows \(rows), \(count) vectors, d = \(d)")
            }
            // And the sum itself: x_j * y_j added in order from zero, in Float32.
            for r in [0, rows - 1] {
                for y in [0, count - 1] {
                    var sum: Float = 0
                    for j in 0..<d { sum = sum + x[r * d + j] * ys[y * d + j] }
                    XCTAssertEqual(results[0][r * groups * 32 + y], sum.bitPattern, "row \(r), vector \(y), d = \(d)")
                }
            }
        }
    }

    func testTransposeCopiesABlockIntoItsMirror() {
        let rows = 19, columns = 11, stride = 23
        let source = (0..<(rows * stride)).map { Float($0) }
        var target = [Float](repeating: -1, count: columns * stride)
        source.withUnsafeBufferPointer { s in
            target.withUnsafeMutableBufferPointer { t in
                TileKernels.transpose(s.baseAddress!, srcStride: stride, srcRows: rows, srcColumns: columns,
                                      into: t.baseAddress!, dstStride: stride)
            }
        }
        for j in 0..<columns {
            for i in 0..<stride {
                XCTAssertEqual(target[j * stride + i], i < rows ? source[i * stride + j] : -1)
            }
        }
    }
}
