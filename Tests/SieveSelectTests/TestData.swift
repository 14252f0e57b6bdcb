import Foundation

/// Seeded test data, independent of the generators under test.
struct TestRandom {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    /// SplitMix64.
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    mutating func unit() -> Double { Double(next() >> 11) * 0x1p-53 }

    /// Standard normal (Box–Muller).
    mutating func normal() -> Double {
        let u = 1 - unit(), v = unit()
        return (-2 * Foundation.log(u)).squareRoot() * Foundation.cos(2 * Double.pi * v)
    }
}

enum TestData {
    /// `count` unit vectors of `dimension` around `clusters` random centres, row-major.
    static func clusteredUnitVectors(count: Int, dimension: Int, clusters: Int, spread: Double, seed: UInt64) -> [Float] {
        var random = TestRandom(seed: seed)
        let centres = (0..<clusters).map { _ in (0..<dimension).map { _ in random.normal() } }
        var out: [Float] = []
        out.reserveCapacity(count * dimension)
        for _ in 0..<count {
            let centre = centres[Int(random.next() % UInt64(clusters))]
            let raw = centre.map { Float($0 + spread * random.normal()) }
            out += raw
        }
        return normalised(out, dimension: dimension)
    }

    static func randomUnitVectors(count: Int, dimension: Int, seed: UInt64) -> [Float] {
        var random = TestRandom(seed: seed)
        let raw = (0..<(count * dimension)).map { _ in Float(random.normal()) }
        return normalised(raw, dimension: dimension)
    }

    /// Each row divided by its Float64 norm.
    static func normalised(_ vectors: [Float], dimension: Int) -> [Float] {
        var out = vectors
        for start in stride(from: 0, to: vectors.count, by: dimension) {
            let norm = vectors[start..<(start + dimension)].reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
            for j in start..<(start + dimension) where norm > 0 { out[j] = Float(Double(vectors[j]) / norm) }
        }
        return out
    }
}
