/// The inner loops over gradient rows read straight from a memory map.
///
/// Each row is accumulated in Float32 SIMD lanes and the lanes are added into a Float64 total,
/// so one row's result never depends on which worker or thread computed it, and a long pool
/// adds up in Float64. Rows need no alignment.
public enum RowKernels {
    /// Dot product of one row with `reference` and the row's squared norm, in one pass.
    /// A non-finite element makes the results non-finite; callers check and report the row.
    public static func dotAndSquaredNorm(row: UnsafeRawPointer, type: ElementType,
                                         reference: UnsafeBufferPointer<Float>) -> (dot: Double, squaredNorm: Double) {
        switch type {
        case .float32: return fusedFloat32(row, reference)
        case .float16: return fused(row, reference, .float16, load: loadFloat16)
        case .bfloat16: return fused(row, reference, .bfloat16, load: loadBFloat16)
        }
    }

    /// Adds `count` rows of `dimension` elements into `sum` (Float64), row by row in order.
    /// Returns the index of the first row holding a NaN or infinity, or nil.
    public static func addRows(_ rows: UnsafeRawPointer, count: Int, dimension: Int, type: ElementType,
                               into sum: UnsafeMutableBufferPointer<Double>) -> Int? {
        precondition(sum.count == dimension)
        let rowBytes = dimension * type.byteWidth
        for index in 0..<count {
            let row = rows + index * rowBytes
            var finite = true
            for j in 0..<dimension {
                let value = element(row, j, type)
                if !value.isFinite { finite = false; break }
                sum[j] += Double(value)
            }
            if !finite { return index }
        }
        return nil
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

    @inline(__always)
    private static func fusedFloat32(_ row: UnsafeRawPointer, _ reference: UnsafeBufferPointer<Float>) -> (dot: Double, squaredNorm: Double) {
        let count = reference.count
        let base = UnsafeRawPointer(reference.baseAddress!)
        var dot = SIMD8<Float>(), norm = SIMD8<Float>()
        var j = 0
        while j + 8 <= count {
            let x = row.loadUnaligned(fromByteOffset: j * 4, as: SIMD8<Float>.self)
            let g = base.loadUnaligned(fromByteOffset: j * 4, as: SIMD8<Float>.self)
            dot = dot.addingProduct(x, g)
            norm = norm.addingProduct(x, x)
            j += 8
        }
        return finish(dot, norm, from: j, row, reference, .float32)
    }

    @inline(__always)
    private static func fused(_ row: UnsafeRawPointer, _ reference: UnsafeBufferPointer<Float>, _ type: ElementType,
                              load: (UnsafeRawPointer, Int) -> SIMD8<Float>) -> (dot: Double, squaredNorm: Double) {
        let count = reference.count
        let base = UnsafeRawPointer(reference.baseAddress!)
        var dot = SIMD8<Float>(), norm = SIMD8<Float>()
        var j = 0
        while j + 8 <= count {
            let x = load(row, j * 2)
            let g = base.loadUnaligned(fromByteOffset: j * 4, as: SIMD8<Float>.self)
            dot = dot.addingProduct(x, g)
            norm = norm.addingProduct(x, x)
            j += 8
        }
        return finish(dot, norm, from: j, row, reference, type)
    }

    @inline(__always)
    private static func finish(_ dot: SIMD8<Float>, _ norm: SIMD8<Float>, from start: Int, _ row: UnsafeRawPointer,
                               _ reference: UnsafeBufferPointer<Float>, _ type: ElementType) -> (dot: Double, squaredNorm: Double) {
        var dotTotal = 0.0, normTotal = 0.0
        for lane in 0..<8 {
            dotTotal += Double(dot[lane])
            normTotal += Double(norm[lane])
        }
        for j in start..<reference.count {
            let x = element(row, j, type)
            dotTotal += Double(x * reference[j])
            normTotal += Double(x * x)
        }
        return (dotTotal, normTotal)
    }

    @inline(__always)
    private static func loadFloat16(_ row: UnsafeRawPointer, _ offset: Int) -> SIMD8<Float> {
        let bits = row.loadUnaligned(fromByteOffset: offset, as: SIMD8<UInt16>.self)
        return SIMD8<Float>(unsafeBitCast(bits, to: SIMD8<Float16>.self))
    }

    @inline(__always)
    private static func loadBFloat16(_ row: UnsafeRawPointer, _ offset: Int) -> SIMD8<Float> {
        let bits = row.loadUnaligned(fromByteOffset: offset, as: SIMD8<UInt16>.self)
        let wide = SIMD8<UInt32>(truncatingIfNeeded: bits) &<< 16
        return unsafeBitCast(wide, to: SIMD8<Float>.self)
    }
}
