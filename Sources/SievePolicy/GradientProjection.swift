/// Projects a full per-problem gradient (one value per parameter) to `outputDimension` values
/// with a CountSketch: parameter i adds s(i) · g[i] to output coordinate h(i), with the bucket
/// h(i) uniform in 0..<outputDimension and the sign s(i) = ±1, both from a hash of
/// (seed, i) alone.
///
/// Why this projection: it costs one add per parameter (O(P), versus O(P · d) for a dense
/// Gaussian or Rademacher matrix generated on the fly), and it depends on nothing but the seed
/// and the parameter index, so every worker projects identically. It is a sparse
/// Johnson–Lindenstrauss map: E[⟨Sx, Sy⟩] = ⟨x, y⟩ exactly (the signs of distinct parameters
/// are independent, so cross terms vanish in expectation), and for gradients whose mass is not
/// concentrated on a few parameters the variance is about (‖x‖²‖y‖² + ⟨x, y⟩²)/d, so cosines
/// come through with an error of order 1/√d. No scaling is needed for unbiasedness.
///
/// The table of buckets and signs is built once per projection (P entries) and is read-only
/// afterwards, so one projection serves any number of threads.
public struct GradientProjection: Sendable {
    public let seed: UInt64
    public let inputDimension: Int
    public let outputDimension: Int
    /// Bucket of parameter i in the low 31 bits, its sign in the top bit (set = −1).
    private let table: [UInt32]

    public init(seed: UInt64, inputDimension: Int, outputDimension: Int) {
        precondition(inputDimension > 0 && outputDimension > 0 && outputDimension < 1 << 31, "bad dimensions")
        self.seed = seed
        self.inputDimension = inputDimension
        self.outputDimension = outputDimension
        var keyStream = RandomStream(seed, RandomPurpose.projection.rawValue)
        let key = keyStream.next()
        table = (0..<inputDimension).map { index in
            let bits = RandomStream.mix(key ^ RandomStream.mix(UInt64(index) &+ 0x9E37_79B9_7F4A_7C15))
            let bucket = UInt32(bits.multipliedFullWidth(by: UInt64(outputDimension)).high)
            let negative = RandomStream.mix(bits) & 1 == 1
            return bucket | (negative ? 0x8000_0000 : 0)
        }
    }

    /// A projection for `config`'s parameters.
    public init(seed: UInt64, config: TransformerConfig, outputDimension: Int = 256) {
        self.init(seed: seed, inputDimension: config.parameterCount, outputDimension: outputDimension)
    }

    /// The projection of `vector` (which has `inputDimension` values), summed in Float64.
    /// Parameters are spread over four partial sums by index modulo 4 (so consecutive adds
    /// rarely wait on each other), which are added in a fixed order: the same on every run.
    public func project(_ vector: [Float]) -> [Float] {
        precondition(vector.count == inputDimension, "vector has \(vector.count) values, expected \(inputDimension)")
        return vector.withUnsafeBufferPointer { project($0.baseAddress!) }
    }

    func project(_ vector: UnsafePointer<Float>) -> [Float] {
        let d = outputDimension
        var sums = [Double](repeating: 0, count: 4 * d)
        table.withUnsafeBufferPointer { table in
            sums.withUnsafeMutableBufferPointer { sums in
                for i in 0..<inputDimension {
                    let entry = table[i]
                    // The sign bit of the entry becomes the sign bit of the value: no branch.
                    let signed = Double(bitPattern: Double(vector[i]).bitPattern ^ (UInt64(entry >> 31) << 63))
                    sums[(i & 3) * d + Int(entry & 0x7FFF_FFFF)] += signed
                }
            }
        }
        return (0..<d).map { Float((sums[$0] + sums[d + $0]) + (sums[2 * d + $0] + sums[3 * d + $0])) }
    }

    /// Bucket and sign of parameter `index`, for tests and documentation.
    public func bucketAndSign(of index: Int) -> (bucket: Int, sign: Float) {
        let entry = table[index]
        return (Int(entry & 0x7FFF_FFFF), entry & 0x8000_0000 == 0 ? 1 : -1)
    }
}
