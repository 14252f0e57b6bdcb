/// Conversion between Float arrays and raw little-endian tensor bytes.
///
/// Safetensors data is not guaranteed to be aligned, so decoding uses
/// unaligned loads and never rebinds memory; callers may pass any view that
/// `SafetensorsFile.bytes(_:)` or `Pool.gradBytes(_:validation:)` returns.
public enum FloatBytes {
    /// Appends the values of `bytes` (whole elements of `dtype`, a float type)
    /// to `out` as Floats. Precondition: `dtype` is a float type and the byte
    /// count is a multiple of its width.
    public static func append(_ bytes: UnsafeRawBufferPointer, dtype: DType, to out: inout [Float]) {
        precondition(dtype.isFloat, "FloatBytes.append needs a float dtype, got \(dtype.rawValue)")
        let width = dtype.byteWidth
        precondition(bytes.count % width == 0, "byte count \(bytes.count) is not a multiple of \(width)")
        let count = bytes.count / width
        out.reserveCapacity(out.count + count)
        switch dtype {
        case .f32:
            for i in 0..<count {
                let bits = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self))
                out.append(Float(bitPattern: bits))
            }
        case .f16:
            for i in 0..<count {
                out.append(float16BitsToFloat(loadHalf(bytes, i)))
            }
        case .bf16:
            for i in 0..<count {
                out.append(bfloat16BitsToFloat(loadHalf(bytes, i)))
            }
        case .i64:
            preconditionFailure("unreachable")
        }
    }

    /// Decodes `bytes` into a new Float array (see `append`).
    public static func decode(_ bytes: UnsafeRawBufferPointer, dtype: DType) -> [Float] {
        var out: [Float] = []
        append(bytes, dtype: dtype, to: &out)
        return out
    }

    /// Appends `values` encoded as little-endian `dtype` (a float type) to
    /// `out`, rounding to nearest even for the 16-bit types.
    public static func encode(_ values: UnsafeBufferPointer<Float>, dtype: DType, into out: inout [UInt8]) {
        precondition(dtype.isFloat, "FloatBytes.encode needs a float dtype, got \(dtype.rawValue)")
        let start = out.count
        out.append(contentsOf: repeatElement(0, count: values.count * dtype.byteWidth))
        out.withUnsafeMutableBytes { all in
            let target = UnsafeMutableRawBufferPointer(rebasing: all[start...])
            switch dtype {
            case .f32:
                for (i, x) in values.enumerated() {
                    target.storeBytes(of: x.bitPattern.littleEndian, toByteOffset: i * 4, as: UInt32.self)
                }
            case .f16:
                for (i, x) in values.enumerated() {
                    target.storeBytes(of: floatToFloat16Bits(x).littleEndian, toByteOffset: i * 2, as: UInt16.self)
                }
            case .bf16:
                for (i, x) in values.enumerated() {
                    target.storeBytes(of: floatToBFloat16Bits(x).littleEndian, toByteOffset: i * 2, as: UInt16.self)
                }
            case .i64:
                preconditionFailure("unreachable")
            }
        }
    }

    /// Encodes an array of Floats as little-endian `dtype` bytes.
    public static func encode(_ values: [Float], dtype: DType) -> [UInt8] {
        var out: [UInt8] = []
        values.withUnsafeBufferPointer { encode($0, dtype: dtype, into: &out) }
        return out
    }

    /// Encodes Int64 values as little-endian I64 bytes.
    public static func encode(_ values: [Int64]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(values.count * 8)
        for v in values { appendLittleEndian(UInt64(bitPattern: v), to: &out) }
        return out
    }

    /// Decodes little-endian I64 bytes (any alignment).
    public static func decodeInt64(_ bytes: UnsafeRawBufferPointer) -> [Int64] {
        precondition(bytes.count % 8 == 0, "byte count \(bytes.count) is not a multiple of 8")
        return (0..<(bytes.count / 8)).map { loadInt64(bytes, $0) }
    }

    /// The `index`-th little-endian Int64 of `bytes`, loaded unaligned.
    @inline(__always)
    public static func loadInt64(_ bytes: UnsafeRawBufferPointer, _ index: Int) -> Int64 {
        Int64(littleEndian: bytes.loadUnaligned(fromByteOffset: index * 8, as: Int64.self))
    }

    /// The `index`-th little-endian Float (F32) of `bytes`, loaded unaligned.
    @inline(__always)
    public static func loadFloat(_ bytes: UnsafeRawBufferPointer, _ index: Int) -> Float {
        Float(bitPattern: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: index * 4, as: UInt32.self)))
    }

    @inline(__always)
    static func loadHalf(_ bytes: UnsafeRawBufferPointer, _ index: Int) -> UInt16 {
        UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: index * 2, as: UInt16.self))
    }

    @inline(__always)
    static func appendLittleEndian<T: FixedWidthInteger>(_ value: T, to out: inout [UInt8]) {
        var v = value.littleEndian
        withUnsafeBytes(of: &v) { out.append(contentsOf: $0) }
    }
}
