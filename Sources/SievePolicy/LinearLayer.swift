import COpenBLAS

/// A linear map out = input · weightᵀ + bias, through OpenBLAS's `cblas_sgemm` (loaded on first use: COpenBLAS).
///
/// Shapes: input [N, C], weight [OC, C] (one row per output channel), bias [OC] or nil,
/// out [N, OC]. The tied LM head is this layer with the token table as weight and no bias.
enum LinearLayer {
    /// Rows n = 0..<rows are read at input + n·rowStride·C and written at out + n·rowStride·OC:
    /// a row stride above 1 picks one position out of every sequence of a batch (decoding).
    static func forward(out: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>,
                        weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                        rows: Int, inputs: Int, outputs: Int, rowStride: Int = 1) {
        gs_sgemm(Int32(GS_BLAS_NO_TRANS), Int32(GS_BLAS_TRANS), Int32(rows), Int32(outputs), Int32(inputs),
                    1, input, Int32(inputs * rowStride), weight, Int32(inputs), 0, out, Int32(outputs * rowStride))
        guard let bias else { return }
        for n in 0..<rows {
            let row = out + n * rowStride * outputs
            for o in 0..<outputs { row[o] += bias[o] }
        }
    }

    /// Adds the gradients: dinput += dout · weight, dweight += doutᵀ · input, dbias += Σₙ dout.
    /// `inputGradient` may be nil when the input needs none.
    static func backward(inputGradient: UnsafeMutablePointer<Float>?, weightGradient: UnsafeMutablePointer<Float>,
                         biasGradient: UnsafeMutablePointer<Float>?, outGradient: UnsafePointer<Float>,
                         input: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                         rows: Int, inputs: Int, outputs: Int) {
        if let inputGradient {
            gs_sgemm(Int32(GS_BLAS_NO_TRANS), Int32(GS_BLAS_NO_TRANS), Int32(rows), Int32(inputs), Int32(outputs),
                        1, outGradient, Int32(outputs), weight, Int32(inputs), 1, inputGradient, Int32(inputs))
        }
        gs_sgemm(Int32(GS_BLAS_TRANS), Int32(GS_BLAS_NO_TRANS), Int32(outputs), Int32(inputs), Int32(rows),
                    1, outGradient, Int32(outputs), input, Int32(inputs), 1, weightGradient, Int32(inputs))
        guard let biasGradient else { return }
        for n in 0..<rows {
            let row = outGradient + n * outputs
            for o in 0..<outputs { biasGradient[o] += row[o] }
        }
    }
}
