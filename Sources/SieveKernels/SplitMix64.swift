/// SplitMix64 (Steele, Lea and Flood): a tiny generator, and its output mixer, the one
/// definition every seeded stream of the package is built on: SieveData expands seeds into
/// `Xoshiro256StarStar` states and derives per-row seeds with it, SieveSelect's `SeedStream`
/// is a SplitMix64 stream, SievePolicy's `RandomStream` mixes its keys and counters with `mix`.
/// Pure integer arithmetic, so identical on every machine.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    @usableFromInline var state: UInt64

    @inlinable
    public init(seed: UInt64) {
        state = seed
    }

    @inlinable
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        return Self.mix(state)
    }

    /// The SplitMix64 output function: a bijective 64-bit mixer.
    @inlinable @inline(__always)
    public static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
