/// LayerNorm over the channels of each position: y = (x − mean) / sqrt(var + ε) · weight + bias.
///
/// Shapes: input and out [N, C] (N = B·T), mean and reciprocal standard deviation [N] (kept by
/// the forward pass for the backward pass), weight and bias [C].
enum LayerNormLayer {
    static let epsilon: Float = 1e-5

    static func forward(out: UnsafeMutablePointer<Float>, mean: UnsafeMutablePointer<Float>,
                        reciprocalStd: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>,
                        weight: UnsafePointer<Float>, bias: UnsafePointer<Float>, rows: Int, width: Int) {
        for n in 0..<rows {
            let x = input + n * width
            var sum: Float = 0
            for c in 0..<width { sum += x[c] }
            let m = sum / Float(width)
            var squares: Float = 0
            for c in 0..<width { squares += (x[c] - m) * (x[c] - m) }
            let r = 1 / (squares / Float(width) + epsilon).squareRoot()
            let y = out + n * width
            for c in 0..<width { y[c] = (x[c] - m) * r * weight[c] + bias[c] }
            mean[n] = m
            reciprocalStd[n] = r
        }
    }

    /// Adds the gradients of input, weight and bias given dout. With x̂ = (x − mean)·r and
    /// g = dout·weight: dx = r · (g − mean(g) − x̂ · mean(g · x̂)).
    static func backward(inputGradient: UnsafeMutablePointer<Float>, weightGradient: UnsafeMutablePointer<Float>,
                         biasGradient: UnsafeMutablePointer<Float>, outGradient: UnsafePointer<Float>,
                         input: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                         mean: UnsafePointer<Float>, reciprocalStd: UnsafePointer<Float>, rows: Int, width: Int) {
        for n in 0..<rows {
            let x = input + n * width, dy = outGradient + n * width, dx = inputGradient + n * width
            let m = mean[n], r = reciprocalStd[n]
            var meanG: Float = 0, meanGX: Float = 0
            for c in 0..<width {
                let g = dy[c] * weight[c]
                meanG += g
                meanGX += g * (x[c] - m) * r
            }
            meanG /= Float(width)
            meanGX /= Float(width)
            for c in 0..<width {
                let normalized = (x[c] - m) * r
                biasGradient[c] += dy[c]
                weightGradient[c] += normalized * dy[c]
                dx[c] += r * (dy[c] * weight[c] - meanG - normalized * meanGX)
            }
        }
    }
}
