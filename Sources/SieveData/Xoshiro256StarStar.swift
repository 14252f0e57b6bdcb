import SieveKernels

/// xoshiro256** (Blackman and Vigna), the generator behind the synthetic
/// pools. Integer-only and fully specified here, so a seed gives the same
/// stream on every machine and Swift version (the standard library's
/// generators and `random(in:)` helpers make no such promise).
public struct Xoshiro256StarStar: RandomNumberGenerator, Sendable {
    private var s0, s1, s2, s3: UInt64

    /// Seeds the four state words from SplitMix64(seed), which never leaves
    /// them all zero.
    public init(seed: UInt64) {
        var expander = SplitMix64(seed: seed)
        s0 = expander.next()
        s1 = expander.next()
        s2 = expander.next()
        s3 = expander.next()
    }

    /// An independent stream for item `index` of kind `stream` under `seed`:
    /// lets the generator produce any row without generating the rows before
    /// it.
    public init(seed: UInt64, stream: UInt64, index: UInt64) {
        let key = SplitMix64.mix(SplitMix64.mix(SplitMix64.mix(seed) ^ (stream &+ 0x632B_E59B_D9B4_E019)) ^ index)
        self.init(seed: key)
    }

    public mutating func next() -> UInt64 {
        let result = (s1 &* 5).rotatedLeft(by: 7) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = s3.rotatedLeft(by: 45)
        return result
    }

    /// A uniform Double in [0, 1) with 53 random bits.
    public mutating func nextUnit() -> Double {
        Double(next() >> 11) * 0x1p-53
    }

    /// A uniform Int in `0..<bound` (multiply-high; the bias is below
    /// bound / 2^64, negligible here, and the result is deterministic).
    public mutating func nextInt(below bound: Int) -> Int {
        precondition(bound > 0, "bound must be positive")
        return Int(next().multipliedFullWidth(by: UInt64(bound)).high)
    }
}

extension UInt64 {
    @inline(__always)
    func rotatedLeft(by k: UInt64) -> UInt64 {
        (self << k) | (self >> (64 - k))
    }
}
