import SieveKernels

/// The random numbers of the seeded methods: a SplitMix64 stream (Steele, Lea and Flood) whose
/// start depends on the run's seed, the epoch and which method draws.
///
/// Integer arithmetic only, so every machine draws the same numbers. The start state is
/// mix(mix(seed XOR purpose) + epoch) with SplitMix64's output mixer `mix`, so neighbouring
/// epochs and seeds give unrelated streams; each draw adds 0x9E3779B97F4A7C15 to the state and
/// returns mix(state). docs/methods.md gives the same recipe for anyone reproducing a curriculum.
struct SeedStream {
    /// "random" and "gainrl" in ASCII: the two methods never share a stream for one seed.
    static let randomPurpose: UInt64 = 0x72_61_6E_64_6F_6D
    static let gainRLPurpose: UInt64 = 0x67_61_69_6E_72_6C

    private var generator: SplitMix64

    init(seed: UInt64, epoch: Int, purpose: UInt64) {
        generator = SplitMix64(seed: SplitMix64.mix(SplitMix64.mix(seed ^ purpose) &+ UInt64(truncatingIfNeeded: epoch)))
    }

    mutating func next() -> UInt64 {
        generator.next()
    }

    /// A uniform Double in the open interval (0, 1): (top 52 bits + 1/2) / 2^52, which is exact
    /// (53 significant bits at most), so neither 0 nor 1 ever comes out.
    mutating func nextOpenUnit() -> Double {
        (Double(next() >> 12) + 0.5) * 0x1p-52
    }

    /// A uniform integer in 0..<bound (bound > 0) without modulo bias: Lemire's multiply-high
    /// method, rejecting the few low products that would favour some values.
    mutating func next(below bound: UInt64) -> UInt64 {
        precondition(bound > 0)
        var product = next().multipliedFullWidth(by: bound)
        if product.low < bound {
            let floor = (0 &- bound) % bound
            while product.low < floor {
                product = next().multipliedFullWidth(by: bound)
            }
        }
        return product.high
    }
}
