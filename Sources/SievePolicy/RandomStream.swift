import SieveKernels
import Glibc

/// A small, fully specified random generator for everything the policy draws: task operands,
/// label noise, initial weights, rollout tokens, projection hashes.
///
/// It is counter based: output i is a 64-bit mix of `key + (i + 1) * γ` (the SplitMix64
/// construction), and a key is derived by mixing a sequence of integers. So a stream is named by
/// what it is for — e.g. (seed, rollout purpose, epoch, split, row, rollout) — and gives the same
/// integers and uniforms on every machine, thread and Swift version, whoever asks and in
/// whatever order. The standard library's generators make no such promise. (`nextNormal` goes
/// through libm's `log` and `cos`, which glibc may pick per CPU: its draws are the same on one
/// machine and may differ in the last bit elsewhere.)
public struct RandomStream: RandomNumberGenerator, Sendable {
    private let key: UInt64
    private var counter: UInt64 = 0

    private static let gamma: UInt64 = 0x9E37_79B9_7F4A_7C15

    /// A stream named by `components`, in order; different sequences give independent streams.
    public init(_ components: UInt64...) {
        self.init(components: components)
    }

    /// A stream named by `components`, in order.
    public init(components: [UInt64]) {
        var key: UInt64 = 0x6A09_E667_F3BC_C908
        for component in components {
            key = Self.mix(key ^ Self.mix(component &+ Self.gamma))
        }
        self.key = key
    }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        counter &+= 1
        return Self.mix(key &+ counter &* Self.gamma)
    }

    /// A uniform Double in [0, 1) with 53 random bits.
    public mutating func nextUnit() -> Double {
        Double(next() >> 11) * 0x1p-53
    }

    /// A uniform Int in `0..<bound` by multiply-high: deterministic, bias below bound / 2^64.
    public mutating func nextInt(below bound: Int) -> Int {
        precondition(bound > 0, "bound must be positive")
        return Int(next().multipliedFullWidth(by: UInt64(bound)).high)
    }

    /// A standard normal draw (Box–Muller, one of the pair), for initial weights and tests.
    /// Uses libm (see the type's note): moving it to a portable log/cos would change every
    /// initial weight, warm start and measured result, so it waits for its own measured step.
    public mutating func nextNormal() -> Double {
        let u1 = 1.0 - nextUnit()  // in (0, 1], so the log is finite
        let u2 = nextUnit()
        return (-2.0 * log(u1)).squareRoot() * cos(2.0 * Double.pi * u2)
    }

    /// A bijective 64-bit mixer (the SplitMix64 finalizer, `SplitMix64.mix`); also used alone as
    /// a hash.
    @inline(__always)
    public static func mix(_ value: UInt64) -> UInt64 { SplitMix64.mix(value) }
}

/// What a stream is for; mixed into its key so streams of different purposes never coincide.
enum RandomPurpose: UInt64 {
    case problem = 1, labelNoise, initialWeights, rollout, projection, warmUpBatch, tierChoice, evaluationSample
}
