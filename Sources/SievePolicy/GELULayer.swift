/// GELU with GPT-2's tanh approximation: y = x/2 · (1 + tanh(√(2/π) · (x + 0.044715 x³))).
///
/// tanh is computed here as straight-line arithmetic that the compiler inlines and vectorizes:
/// glibc's `tanhf` took almost half of a training step. It lives in this file because the debug
/// build (which the tests use, with -O for this target) does not inline across files.
enum GELULayer {
    private static let scale = Float((2.0 / Double.pi).squareRoot())
    private static let cubic: Float = 0.044715

    static func forward(out: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>, count: Int) {
        for i in 0..<count {
            let x = input[i]
            out[i] = 0.5 * x * (1 + tanh(scale * (x + cubic * x * x * x)))
        }
    }

    /// Adds dinput = dout · dy/dx, with
    /// dy/dx = (1 + tanh)/2 + x/2 · (1 − tanh²) · √(2/π) · (1 + 3·0.044715 x²).
    static func backward(inputGradient: UnsafeMutablePointer<Float>, outGradient: UnsafePointer<Float>,
                         input: UnsafePointer<Float>, count: Int) {
        for i in 0..<count {
            let x = input[i]
            let th = tanh(scale * (x + cubic * x * x * x))
            let slope = scale * (1 + 3 * cubic * x * x)
            let local = 0.5 * (1 + th) + 0.5 * x * (1 - th * th) * slope
            inputGradient[i] += local * outGradient[i]
        }
    }

    private static let log2e: Float = 1.442_695_04
    /// ln 2 split in two (Cody–Waite) so that x − n·ln2 loses no bits for small n.
    private static let ln2High: Float = 0.693_359_375
    private static let ln2Low: Float = -2.121_944_4e-4
    /// 1.5 · 2^23: adding it rounds a float of magnitude < 2^22 to an integer held in the low
    /// bits of the sum's bit pattern, with no float-to-int conversion.
    private static let roundingShift: Float = 12_582_912

    /// e^x: x = n·ln2 + r with |r| ≤ ln2/2, e^r by its Taylor series to r⁶ (truncation below
    /// 1.3e-7 relative), 2^n by building the float's exponent bits. Inputs are clamped to
    /// [−87, 88], where the result stays a normal float.
    @inline(__always)
    static func exp(_ x: Float) -> Float {
        let clamped = Swift.min(Swift.max(x, -87), 88)
        let shifted = clamped * log2e + roundingShift
        let n = shifted - roundingShift
        let r = clamped - n * ln2High - n * ln2Low
        var p: Float = 1.0 / 720
        p = p * r + 1.0 / 120
        p = p * r + 1.0 / 24
        p = p * r + 1.0 / 6
        p = p * r + 0.5
        p = p * r + 1
        p = p * r + 1
        let power = (shifted.bitPattern &- roundingShift.bitPattern &+ 127) &<< 23
        return p * Float(bitPattern: power)
    }

    /// tanh(u) = (e − 1)/(e + 1) with e = e^(2u), u clamped to [−9, 9] (beyond, tanh is ±1 in
    /// Float). Absolute error about 1e-7.
    @inline(__always)
    static func tanh(_ u: Float) -> Float {
        let e = exp(2 * Swift.min(Swift.max(u, -9), 9))
        return (e - 1) / (e + 1)
    }
}
