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

    /// Sets each entry's bound to its gain under `cover` and its round to `round`: the same
    /// values `gain(of:cover:)` gives one by one, computed on every core when there are
    /// several (each entry's gain is its own fixed sum, whichever thread adds it up).
    func refresh(_ entries: inout [LazyGainQueue.Entry], cover: [Float], round: Int) {
        if entries.count == 1 || !usesMatrix {
            for i in entries.indices {
                entries[i].bound = gain(of: entries[i].index, cover: cover)
                entries[i].round = round
            }
            return
        }
        let indices = entries.map(\.index)
        var gains = [Double](repeating: 0, count: entries.count)
        gains.withUnsafeMutableBufferPointer { gains in
            let out = GainPointer(p: gains.baseAddress!)
            DispatchQueue.concurrentPerform(iterations: indices.count) { i in
                out.p[i] = gain(of: indices[i], cover: cover)
            }
        }
        for i in entries.indices {
            entries[i].bound = gains[i]
            entries[i].round = round
        }
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

    /// Row x of the matrix holds <x, y> for every padded y. The matrix is symmetric to the bit
    /// (<x, y> and <y, x> multiply the same pairs in the same order, and a Float32 product does
    /// not depend on the order of its factors), so only the blocks on and right of the diagonal
    /// are computed: blocks of 96 rows (3 groups) against every group from their own first one
    /// on, as one blocked matrix product (`TileKernels.tileDots`), spread over every core; then
    /// each row group copies the rest of its row, transposed, from the rows above it. Every
    /// entry is the same arithmetic whichever thread and path computes it, so the matrix is the
    /// same bits as computing every entry directly.
    private mutating func fillMatrix() {
        let width = paddedCount, count = self.count, dimension = self.dimension, groups = groupCount
        let tileFloats = dimension * Self.lanes * 4
        let blockGroups = Self.fillBlockGroups, blocks = (groups + blockGroups - 1) / blockGroups
        vectors.withUnsafeBufferPointer { vectors in
            tiles.withUnsafeBufferPointer { tiles in
                matrix.withUnsafeMutableBufferPointer { matrix in
                    let shared = MatrixPointers(v: vectors.baseAddress!, t: tiles.baseAddress!, m: matrix.baseAddress!)
                    DispatchQueue.concurrentPerform(iterations: blocks) { block in
                        let (v, t, m) = (shared.v, shared.t, shared.m)
                        let firstGroup = block * blockGroups, first = firstGroup * Self.groupWidth
                        let rows = min(first + blockGroups * Self.groupWidth, count) - first
                        TileKernels.tileDots(vectors: v + first * dimension, rows: rows, dimension: dimension,
                                             tiles: t + firstGroup * tileFloats, groups: groups - firstGroup,
                                             out: m + first * width + firstGroup * Self.groupWidth, outStride: width)
                    }
                    // Row group g's columns left of its block's first group: the block rows above,
                    // all computed by now, read down column group g.
                    DispatchQueue.concurrentPerform(iterations: groups) { group in
                        let m = shared.m
                        let first = group * Self.groupWidth, rows = min(first + Self.groupWidth, count) - first
                        let columns = (group / blockGroups) * blockGroups * Self.groupWidth
                        guard columns > 0 else { return }
                        TileKernels.transpose(m + first, srcStride: width, srcRows: columns, srcColumns: rows,
                                              into: m + first * width, dstStride: width)
                    }
                }
            }
        }
    }

    /// Groups per block of rows in `fillMatrix` (96 rows: 16 register blocks of 6).
    static let fillBlockGroups = 3

    /// The cover of a set: cover(y) = max(0, max over x in `picks` of <x, y>) for every padded
    /// y, the same bits as `raise` by each pick in turn from `emptyCover()` (a maximum does not
    /// depend on the order its terms come in: no term is NaN, and a -0 never replaces the
    /// starting +0). Computed as a blocked matrix product on every core, each thread owning a
    /// range of columns; the matrix, if any, is not used.
    func cover(of picks: [Int]) -> [Float] {
        var gathered = [Float](repeating: 0, count: picks.count * dimension)
        for (i, x) in picks.enumerated() {
            precondition(x >= 0 && x < count)
            gathered[(i * dimension)..<((i + 1) * dimension)] = vectors[(x * dimension)..<((x + 1) * dimension)]
        }
        return cover(byVectors: gathered, count: picks.count)
    }

    /// `cover(of:)` for `count` vectors given row-major (`dimension` Floats each), which need
    /// not be among the tiled ones.
    func cover(byVectors gathered: [Float], count pickCount: Int) -> [Float] {
        precondition(gathered.count == pickCount * dimension)
        var cover = emptyCover()
        guard pickCount > 0, count > 0 else { return cover }
        let dimension = self.dimension, tileFloats = dimension * Self.lanes * 4
        let chunkGroups = 2, chunks = (groupCount + chunkGroups - 1) / chunkGroups, pickBlock = 96
        let groups = groupCount
        gathered.withUnsafeBufferPointer { gathered in
            tiles.withUnsafeBufferPointer { tiles in
                cover.withUnsafeMutableBufferPointer { cover in
                    let shared = MatrixPointers(v: gathered.baseAddress!, t: tiles.baseAddress!, m: cover.baseAddress!)
                    DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
                        let firstGroup = chunk * chunkGroups, groupsHere = min(chunkGroups, groups - firstGroup)
                        let width = groupsHere * Self.groupWidth
                        let c = UnsafeMutableRawPointer(shared.m + firstGroup * Self.groupWidth)
                        var out = [Float](repeating: 0, count: pickBlock * width)
                        out.withUnsafeMutableBufferPointer { out in
                            for start in stride(from: 0, to: pickCount, by: pickBlock) {
                                let rows = min(pickBlock, pickCount - start)
                                TileKernels.tileDots(vectors: shared.v + start * dimension, rows: rows, dimension: dimension,
                                                     tiles: shared.t + firstGroup * tileFloats, groups: groupsHere,
                                                     out: out.baseAddress!, outStride: width)
                                for r in 0..<rows {
                                    let row = UnsafeRawPointer(out.baseAddress! + r * width)
                                    for lane in stride(from: 0, to: width, by: Self.lanes) {
                                        Self.lift(c, lane * 4, row.loadUnaligned(fromByteOffset: lane * 4, as: SIMD8<Float>.self))
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return cover
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
/// calls that lent them); `v` and `t` are only read; each iteration writes only its own part of
/// `m`: in `fillMatrix`'s first pass the rows of its block, in its second the columns left of
/// its row group's block (which that pass never reads), in `cover(of:)` its range of columns.
/// So no two threads touch the same element at once.
private struct MatrixPointers: @unchecked Sendable {
    let v: UnsafePointer<Float>
    let t: UnsafePointer<Float>
    let m: UnsafeMutablePointer<Float>
}

/// Where `refresh`'s threads put their gains: iteration i writes only element i, and the
/// buffer outlives the `concurrentPerform` (see `MatrixPointers`).
private struct GainPointer: @unchecked Sendable {
    let p: UnsafeMutablePointer<Double>
}
