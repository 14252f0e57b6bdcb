/// Standard normal deviates from a `Xoshiro256StarStar` stream, by
/// Marsaglia's polar method (the rejection form of Box–Muller: it needs
/// only a logarithm and a square root, no sine or cosine). With
/// `DeterministicMath.log`, the output is identical on every machine.
public struct NormalSampler: Sendable {
    public private(set) var generator: Xoshiro256StarStar
    private var spare: Double?

    public init(_ generator: Xoshiro256StarStar) {
        self.generator = generator
    }

    /// The next N(0, 1) deviate.
    public mutating func next() -> Double {
        if let value = spare {
            spare = nil
            return value
        }
        while true {
            let u = 2 * generator.nextUnit() - 1
            let v = 2 * generator.nextUnit() - 1
            let s = u * u + v * v
            guard s < 1, s > 0 else { continue }
            let factor = (-2 * DeterministicMath.log(s) / s).squareRoot()
            spare = v * factor
            return u * factor
        }
    }

    /// A uniform Double in [0, 1) from the same stream.
    public mutating func nextUnit() -> Double {
        generator.nextUnit()
    }

    /// A uniform Int in `0..<bound` from the same stream.
    public mutating func nextInt(below bound: Int) -> Int {
        generator.nextInt(below: bound)
    }
}
