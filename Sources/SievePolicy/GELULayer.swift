import Glibc

/// GELU with GPT-2's tanh approximation: y = x/2 · (1 + tanh(√(2/π) · (x + 0.044715 x³))).
///
/// tanh is computed as (e − 1)/(e + 1) with e = exp(2u): glibc's `tanhf` took almost half of a
/// training step, `expf` is several times faster, and the absolute error (~1e-7) is far below
/// what matters here. Forward and backward use the same function, so they stay consistent.
enum GELULayer {
    private static let scale = Float((2.0 / Double.pi).squareRoot())

    static func forward(out: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>, count: Int) {
        for i in 0..<count {
            let x = input[i]
            out[i] = 0.5 * x * (1 + tanh(scale * (x + 0.044715 * x * x * x)))
        }
    }

    /// Adds dinput = dout · dy/dx.
    static func backward(inputGradient: UnsafeMutablePointer<Float>, outGradient: UnsafePointer<Float>,
                         input: UnsafePointer<Float>, count: Int) {
        for i in 0..<count {
            let x = input[i]
            let u = scale * (x + 0.044715 * x * x * x)
            let th = tanh(u)
            let sech2 = 1 - th * th
            let local = 0.5 * (1 + th) + 0.5 * x * sech2 * scale * (1 + 3 * 0.044715 * x * x)
            inputGradient[i] += local * outGradient[i]
        }
    }

    @inline(__always)
    static func tanh(_ u: Float) -> Float {
        let e = expf(2 * min(max(u, -15), 15))
        return (e - 1) / (e + 1)
    }
}
