import CSieveKernels

/// The inner loops over gradient rows read straight from a memory map.
///
/// The hot loops live in the C target `CSieveKernels`: an AVX2 + F16C path compiled with
/// per-function target attributes and a portable path, picked once per process by a run-time
/// CPU check, so one binary runs on any x86-64 (or other) machine. Each row is accumulated in
/// 32 Float32 lanes without fused multiply-adds and the lanes are added into a Float64 total in
/// one fixed order, so both paths give the same bits: one row's result never depends on which
/// machine, worker or thread computed it, and a long pool adds up in Float64. Rows need no
/// alignment.
public enum RowKernels {
    /// The kernel path this process runs: "avx2" or "portable".
    public static var path: String { gs_kernel_path() == Int32(GS_PATH_AVX2) ? "avx2" : "portable" }

    /// Switches the kernel path for the rest of the process (tests and benchmarks compare the
    /// two); asking for "avx2" on a CPU without it keeps "portable". Returns the path in use.
    @discardableResult
    public static func usePath(_ name: String) -> String {
        gs_set_kernel_path(name == "avx2" ? Int32(GS_PATH_AVX2) : Int32(GS_PATH_PORTABLE))
        return path
    }

    /// Dot product of one row with `reference` and the row's squared norm, in one pass.
    /// A non-finite element makes the results non-finite; callers check and report the row.
    public static func dotAndSquaredNorm(row: UnsafeRawPointer, type: ElementType,
                                         reference: UnsafeBufferPointer<Float>) -> (dot: Double, squaredNorm: Double) {
        var dot = 0.0, norm = 0.0
        gs_dot_norm_rows(row, 1, 0, type.code, reference.baseAddress, reference.isEmpty ? 0 : 1, reference.count, &dot, &norm)
        return (dot, norm)
    }

    /// The same for `count` consecutive rows of `reference.count` elements: `dots[i]` and
    /// `squaredNorms[i]` for row i, with the same bits as calling `dotAndSquaredNorm` per row.
    public static func dotsAndSquaredNorms(rows: UnsafeRawPointer, count: Int, type: ElementType,
                                           reference: UnsafeBufferPointer<Float>,
                                           dots: UnsafeMutableBufferPointer<Double>,
                                           squaredNorms: UnsafeMutableBufferPointer<Double>) {
        precondition(dots.count >= count && squaredNorms.count >= count)
        precondition(!reference.isEmpty, "the reference must have the row's dimension")
        gs_dot_norm_rows(rows, count, reference.count * type.byteWidth, type.code, reference.baseAddress, 1,
                         reference.count, dots.baseAddress, squaredNorms.baseAddress)
    }

    /// Several references at once, in one pass over memory: for `count` consecutive rows of
    /// `dimension` elements, `dots[row * k + i]` = <row, reference i> (`references` holds k
    /// vectors of `dimension` Floats, row-major) and `squaredNorms[row]`. Each dot has the same
    /// bits as a single-reference call with that reference.
    public static func dotsAndSquaredNorms(rows: UnsafeRawPointer, count: Int, dimension: Int, type: ElementType,
                                           references: UnsafeBufferPointer<Float>,
                                           dots: UnsafeMutableBufferPointer<Double>,
                                           squaredNorms: UnsafeMutableBufferPointer<Double>) {
        precondition(dimension > 0 && references.count % dimension == 0)
        let k = references.count / dimension
        precondition(dots.count >= count * k && squaredNorms.count >= count)
        gs_dot_norm_rows(rows, count, dimension * type.byteWidth, type.code, references.baseAddress, k, dimension,
                         dots.baseAddress, squaredNorms.baseAddress)
    }

    /// Adds `count` rows of `dimension` elements into `sum` (Float64), row by row in order.
    /// Returns the index of the first row holding a NaN or infinity, or nil; that row and the
    /// ones after it add nothing.
    public static func addRows(_ rows: UnsafeRawPointer, count: Int, dimension: Int, type: ElementType,
                               into sum: UnsafeMutableBufferPointer<Double>) -> Int? {
        precondition(sum.count == dimension)
        guard count > 0, dimension > 0 else { return nil }
        let bad = gs_add_rows(rows, count, dimension, type.code, sum.baseAddress)
        return bad < 0 ? nil : bad
    }

    /// STREAM-style read of `bytes` (a wrapping sum of its 64-bit words, the least work per
    /// byte): the yardstick the benchmark holds the row kernels' bandwidth against.
    public static func streamRead(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        gs_stream_read(bytes.baseAddress, bytes.count)
    }

    /// Adds `scales[i] * row_i / |row_i|` for `count` rows into `sum` (Float64), row by row in
    /// order; a zero row adds nothing. Each row's norm is taken in Float64 before anything of the
    /// row is added, so a row with a NaN or infinity (or a non-finite scale) adds nothing at all.
    /// Returns the index of the first such row, or nil. The result depends only on the rows, the
    /// scales and the starting `sum`, so continuing one buffer over two halves of a block gives
    /// the same bits as one call over the whole block.
    public static func addScaledUnitRows(_ rows: UnsafeRawPointer, count: Int, dimension: Int, type: ElementType,
                                         scales: [Double], into sum: UnsafeMutableBufferPointer<Double>) -> Int? {
        precondition(sum.count == dimension && scales.count == count)
        let rowBytes = dimension * type.byteWidth
        for index in 0..<count {
            let row = rows + index * rowBytes
            var squaredNorm = 0.0
            for j in 0..<dimension {
                let value = Double(element(row, j, type))
                squaredNorm += value * value
            }
            let scale = scales[index]
            guard squaredNorm.isFinite, scale.isFinite else { return index }
            guard squaredNorm > 0, scale != 0 else { continue }
            let factor = scale / squaredNorm.squareRoot()
            for j in 0..<dimension {
                sum[j] += factor * Double(element(row, j, type))
            }
        }
        return nil
    }

    /// One element as Float, for tests and scalar paths.
    @inline(__always)
    public static func element(_ row: UnsafeRawPointer, _ index: Int, _ type: ElementType) -> Float {
        switch type {
        case .float32:
            return row.loadUnaligned(fromByteOffset: index * 4, as: Float.self)
        case .float16:
            return Float(Float16(bitPattern: row.loadUnaligned(fromByteOffset: index * 2, as: UInt16.self)))
        case .bfloat16:
            return Float(bitPattern: UInt32(row.loadUnaligned(fromByteOffset: index * 2, as: UInt16.self)) << 16)
        }
    }
}

/// Facility location's inner product: vectors against a group of 32 vectors laid out as 4 tiles
/// of 8, element-interleaved (`SieveSelect.CoverageTiles`), on the same AVX2/portable paths.
public enum TileKernels {
    /// For each of `rows` vectors of `dimension` Floats at `vectors`, the 32 dot products with
    /// the group at `tiles` (4 x dimension x 8 Floats) into `out + r * outStride`: lane 8t + i
    /// is the sum over j in order of x_j * tile_t[j][i], multiply then add in Float32.
    @inline(__always)
    public static func groupDots(vectors: UnsafePointer<Float>, rows: Int, dimension: Int, tiles: UnsafePointer<Float>,
                                 out: UnsafeMutablePointer<Float>, outStride: Int) {
        gs_group_dots(vectors, rows, dimension, tiles, out, outStride)
    }

    /// `groupDots` against `groups` consecutive groups (group g at `tiles + g * 32 * dimension`)
    /// into `out + r * outStride + 32 g`: bit for bit what `groupDots` gives group by group; the
    /// AVX2 path blocks over rows, columns and elements (a matrix product at the multiply rate).
    @inline(__always)
    public static func tileDots(vectors: UnsafePointer<Float>, rows: Int, dimension: Int, tiles: UnsafePointer<Float>,
                                groups: Int, out: UnsafeMutablePointer<Float>, outStride: Int) {
        gs_tile_dots(vectors, rows, dimension, tiles, groups, out, outStride)
    }

    /// `dst[j * dstStride + i] = src[i * srcStride + j]` for `i < srcRows`, `j < srcColumns`.
    @inline(__always)
    public static func transpose(_ src: UnsafePointer<Float>, srcStride: Int, srcRows: Int, srcColumns: Int,
                                 into dst: UnsafeMutablePointer<Float>, dstStride: Int) {
        gs_transpose_block(src, srcStride, srcRows, srcColumns, dst, dstStride)
    }
}

extension ElementType {
    /// The C kernels' code for this type.
    var code: Int32 {
        switch self {
        case .float32: return Int32(GS_ELEMENT_F32)
        case .float16: return Int32(GS_ELEMENT_F16)
        case .bfloat16: return Int32(GS_ELEMENT_BF16)
        }
    }
}
