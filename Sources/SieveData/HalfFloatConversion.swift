// Bit-level conversions between Float and the two 16-bit float formats that
// gradients may be stored in. Kernels call these in inner loops, so they are
// small and branch-light; tests use them to check round trips.

/// Decodes IEEE 754 binary16 bits (F16) to a Float. Exact: every binary16
/// value, including subnormals, infinities and NaNs, is representable.
@inlinable
public func float16BitsToFloat(_ bits: UInt16) -> Float {
    Float(Float16(bitPattern: bits))
}

/// Encodes a Float as binary16 bits, rounding to nearest even; values too
/// large become ±infinity and NaN stays NaN.
@inlinable
public func floatToFloat16Bits(_ x: Float) -> UInt16 {
    Float16(x).bitPattern
}

/// Decodes bfloat16 bits (the top half of a binary32) to a Float. Exact.
@inlinable
public func bfloat16BitsToFloat(_ bits: UInt16) -> Float {
    Float(bitPattern: UInt32(bits) << 16)
}

/// Encodes a Float as bfloat16 bits with round-to-nearest-even.
///
/// NaN stays NaN with its sign and the top payload bits kept (the quiet bit
/// is forced so that truncating the payload can never produce infinity).
/// Finite values that round past the largest bfloat16 become ±infinity.
@inlinable
public func floatToBFloat16Bits(_ x: Float) -> UInt16 {
    let bits = x.bitPattern
    if x.isNaN {
        return UInt16(truncatingIfNeeded: bits >> 16) | 0x0040
    }
    let roundingBias: UInt32 = 0x7FFF + ((bits >> 16) & 1)
    return UInt16(truncatingIfNeeded: (bits &+ roundingBias) >> 16)
}
