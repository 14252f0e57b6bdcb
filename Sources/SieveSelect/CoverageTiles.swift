import Dispatch
import SieveKernels

/// The ground set of a facility-location problem laid out for its two inner loops: the gain of
/// a candidate x, sum_y max(0, <x, y> - cover(y)), and raising the cover by a picked x,
/// cover(y) = max(cover(y), <x, y>). Candidates and ground set are the same vectors.
///
/// Layout: vectors are stored in tiles of 8, element-interleaved (tile t, element j holds
/// element j of vectors 8t..8t+7), so a pass reads memory front to back and computes 8 dot
/// products per SIMD vector with no horizontal sums. Four tiles make a group of 32; the last
/// group is padded with zero vectors, whose cover and gain stay 0.
///
/// When count x paddedCount Floats fit in `matrixByteLimit`, every dot product is computed once
/// into a similarity matrix and a pass reads a row of it instead of recomputing it, which is
/// what makes lazy greedy fast (a pass then costs one read per y instead of `dimension`
/// multiply-adds). The matrix holds exactly the Floats the tiles give, so gains and picks are
/// the same bits with or without it. Every dot product adds x_j * y_j over j in order,
/// multiplying then adding (no fused multiply-add) in Float32, the same on every machine.
struct CoverageTiles {
    typealias Dots = (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>)
    static let lanes = 8, groupWidth = 32

    let count: Int
    let dimension: Int
    let groupCount: Int
    let paddedCount: Int
    private let vectors: [Float]
    private let tiles: [Float]
    private var matrix: [Float] = []

    var usesMatrix: Bool { !matrix.isEmpty }

    /// `vectors`: `count` rows of `dimension` Floats, row-major.
    init(vectors: [Float], count: Int, dimension: Int, matrixByteLimit: Int) {
        precondition(dimension > 0 && vectors.count == count * dimension)
        self.count = count
        self.dimension = dimension
        self.vectors = vectors
        groupCount = (count + Self.groupWidth - 1) / Self.groupWidth
        paddedCount = groupCount * Self.groupWidth
        var tiles = [Float](repeating: 0, count: paddedCount * dimension)
        for y in 0..<count {
            let tileBase = (y / Self.lanes) * dimension * Self.lanes + y % Self.lanes
            for j in 0..<dimension {
                tiles[tileBase + j * Self.lanes] = vectors[y * dimension + j]
            }
        }
        self.tiles = tiles
        let (floats, overflow) = count.multipliedReportingOverflow(by: paddedCount)
        if count > 0, !overflow, floats <= matrixByteLimit / 4 {
            // Left unset here: `fillMatrix` writes every Float before anything reads one.
            matrix = [Float](unsafeUninitializedCapacity: floats) { _, initialized in initialized = floats }
            fillMatrix()
        }
    }

    /// cover(y) = 0 for every y (the empty set), padding included.
    func emptyCover() -> [Float] {
        [Float](repeating: 0, count: paddedCount)
    }

    /// f(S) = sum_y cover(y), added over the real vectors in order in Float64.
    func total(_ cover: [Float]) -> Double {
        var sum = 0.0
        for y in 0..<count { sum += Double(cover[y]) }
        return sum
    }

    /// The gain of adding vector x: sum_y max(0, <x, y> - cover(y)); every cover is >= 0, so
    /// this is f(S + x) - f(S). Summation order, fixed: a group's 32 terms are added in Float32
    /// as (t0 + t1) + (t2 + t3) over its 4 tiles; runs of 4 groups are added in Float32, each
    /// run into 8 Float64 lanes; the lanes are added in order.
    func gain(of x: Int, cover: [Float]) -> Double {
        var lanes = SIMD8<Double>(), run = SIMD8<Float>()
        cover.withUnsafeBufferPointer { cover in
            for group in 0..<groupCount {
                let (d0, d1, d2, d3) = dots(of: x, group: group)
                let (c0, c1, c2, c3) = Self.load(UnsafeRawPointer(cover.baseAddress! + group * Self.groupWidth))
                run += (Self.positive(d0 - c0) + Self.positive(d1 - c1)) + (Self.positive(d2 - c2) + Self.positive(d3 - c3))
                if group % 4 == 3 || group == groupCount - 1 {
                    lanes += SIMD8<Double>(run)
                    run = SIMD8<Float>()
                }
            }
        }
        var sum = 0.0
        for lane in 0..<Self.lanes { sum += lanes[lane] }
        return sum
    }

    /// cover(y) = max(cover(y), <x, y>) for every y: vector x joins the picked set.
    func raise(_ cover: inout [Float], by x: Int) {
        cover.withUnsafeMutableBufferPointer { cover in
            for group in 0..<groupCount {
                let (d0, d1, d2, d3) = dots(of: x, group: group)
                let c = UnsafeMutableRawPointer(cover.baseAddress! + group * Self.groupWidth)
                Self.lift(c, 0, d0)
                Self.lift(c, 32, d1)
                Self.lift(c, 64, d2)
                Self.lift(c, 96, d3)
            }
        }
    }

    /// Row x of the matrix holds <x, y> for every padded y. Blocks of 32 rows go through the
    /// groups together, so a group's tiles are read from memory once per block, not per row.
    /// Blocks are spread over every core: each writes its own rows, and every entry is the same
    /// arithmetic whichever thread computes it, so the matrix is the same bits.
    /// (Computing only half and mirroring, since <x, y> = <y, x> to the bit, measured slower:
    /// the strided copy costs more than the multiply-adds it saves.)
    private mutating func fillMatrix() {
        let width = paddedCount, count = self.count, dimension = self.dimension, groups = groupCount
        let tileFloats = dimension * Self.lanes * 4
        vectors.withUnsafeBufferPointer { vectors in
            tiles.withUnsafeBufferPointer { tiles in
                matrix.withUnsafeMutableBufferPointer { matrix in
                    let shared = MatrixPointers(v: vectors.baseAddress!, t: tiles.baseAddress!, m: matrix.baseAddress!)
                    DispatchQueue.concurrentPerform(iterations: groups) { block in
                        let (v, t, m) = (shared.v, shared.t, shared.m)
                        let first = block * Self.groupWidth
                        let rows = min(first + Self.groupWidth, count) - first
                        for group in 0..<groups {
                            TileKernels.groupDots(vectors: v + first * dimension, rows: rows, dimension: dimension,
                                                  tiles: t + group * tileFloats, out: m + first * width + group * Self.groupWidth,
                                                  outStride: width)
                        }
                    }
                }
            }
        }
    }

    /// <x, y> for the 32 vectors y of `group`: a matrix read if there is a matrix.
    @inline(__always)
    private func dots(of x: Int, group: Int) -> Dots {
        guard usesMatrix else { return computeDots(of: x, group: group) }
        return matrix.withUnsafeBufferPointer { matrix in
            Self.load(UnsafeRawPointer(matrix.baseAddress! + x * paddedCount + group * Self.groupWidth))
        }
    }

    /// <x, y> for the 32 vectors y of `group` from the tiles: x_j * y_j added over j in order
    /// (the C kernel's AVX2 or portable path, the same bits either way and as `fillMatrix`).
    @inline(__always)
    private func computeDots(of x: Int, group: Int) -> Dots {
        let tileFloats = dimension * Self.lanes * 4
        var out = (SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>())
        vectors.withUnsafeBufferPointer { vectors in
            tiles.withUnsafeBufferPointer { tiles in
                withUnsafeMutableBytes(of: &out) { raw in
                    TileKernels.groupDots(vectors: vectors.baseAddress! + x * dimension, rows: 1, dimension: dimension,
                                          tiles: tiles.baseAddress! + group * tileFloats,
                                          out: raw.baseAddress!.assumingMemoryBound(to: Float.self), outStride: 32)
                }
            }
        }
        return out
    }

    @inline(__always)
    private static func load(_ p: UnsafeRawPointer) -> Dots {
        (p.loadUnaligned(fromByteOffset: 0, as: SIMD8<Float>.self), p.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self),
         p.loadUnaligned(fromByteOffset: 64, as: SIMD8<Float>.self), p.loadUnaligned(fromByteOffset: 96, as: SIMD8<Float>.self))
    }

    @inline(__always)
    private static func lift(_ cover: UnsafeMutableRawPointer, _ offset: Int, _ dots: SIMD8<Float>) {
        let old = cover.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self)
        cover.storeBytes(of: old.replacing(with: dots, where: dots .> old), toByteOffset: offset, as: SIMD8<Float>.self)
    }

    /// max(v, 0) lane by lane, by clearing the lanes whose sign bit is set (a select on a
    /// comparison mask compiles to far slower code here).
    @inline(__always)
    private static func positive(_ v: SIMD8<Float>) -> SIMD8<Float> {
        let bits = unsafeBitCast(v, to: SIMD8<Int32>.self)
        return unsafeBitCast(bits & ~(bits &>> 31), to: SIMD8<Float>.self)
    }
}

/// The buffers `fillMatrix` lends to the threads of one `concurrentPerform`.
///
/// `@unchecked Sendable`, and why that holds: the pointers are valid for the whole
/// `concurrentPerform` (it returns only when every iteration has, inside the `withUnsafe*`
/// calls that lent them); `v` and `t` are only read; each iteration writes only the rows of `m`
/// of its own block, so no two threads touch the same element.
private struct MatrixPointers: @unchecked Sendable {
    let v: UnsafePointer<Float>
    let t: UnsafePointer<Float>
    let m: UnsafeMutablePointer<Float>
}
