/// The residual connection out = a + b.
enum ResidualLayer {
    static func forward(out: UnsafeMutablePointer<Float>, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) {
        for i in 0..<count { out[i] = a[i] + b[i] }
    }

    /// Adds dout to both inputs' gradients.
    static func backward(aGradient: UnsafeMutablePointer<Float>, bGradient: UnsafeMutablePointer<Float>,
                         outGradient: UnsafePointer<Float>, count: Int) {
        for i in 0..<count {
            aGradient[i] += outGradient[i]
            bGradient[i] += outGradient[i]
        }
    }
}
