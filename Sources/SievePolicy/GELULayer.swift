import Glibc

/// GELU with GPT-2's tanh approximation: y = x/2 · (1 + tanh(√(2/π) · (x + 0.044715 x³))).
enum GELULayer {
    private static let scale = Float((2.0 / Double.pi).squareRoot())

    static func forward(out: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>, count: Int) {
        for i in 0..<count {
            let x = input[i]
            out[i] = 0.5 * x * (1 + tanhf(scale * (x + 0.044715 * x * x * x)))
        }
    }

    /// Adds dinput = dout · dy/dx.
    static func backward(inputGradient: UnsafeMutablePointer<Float>, outGradient: UnsafePointer<Float>,
                         input: UnsafePointer<Float>, count: Int) {
        for i in 0..<count {
            let x = input[i]
            let u = scale * (x + 0.044715 * x * x * x)
            let th = tanhf(u)
            let sech2 = 1 - th * th
            let local = 0.5 * (1 + th) + 0.5 * x * sech2 * scale * (1 + 3 * 0.044715 * x * x)
            inputGradient[i] += local * outGradient[i]
        }
    }
}
