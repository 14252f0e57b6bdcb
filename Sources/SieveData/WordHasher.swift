/// A fast 64-bit hash in the FNV-1a style that consumes 8 bytes per step.
///
/// Used for pool fingerprints, which hash all of `samples.jsonl` (possibly
/// gigabytes), so byte-at-a-time FNV-1a would be the bottleneck. Each
/// 8-byte little-endian word `w` updates the state as
/// `h = (h ^ w) &* FNV64_PRIME; h ^= h >> 32`: the FNV-1a step on a word,
/// plus a fold, because with word-sized inputs the multiply alone never
/// carries high input bits down into the low state bits. Every `combine`
/// first mixes in its length (so item boundaries matter), and a final
/// partial word is zero-padded. `value` applies the MurmurHash3 64-bit
/// finalizer. This is NOT byte-compatible with FNV-1a, and it is not
/// cryptographic: it detects accidental differences (another pool, a
/// regenerated file), not deliberate collisions. The result is the same on
/// every platform (explicit little-endian loads, wrapping arithmetic only).
public struct WordHasher: Sendable {
    private static let offsetBasis: UInt64 = 0xcbf2_9ce4_8422_2325
    private static let prime: UInt64 = 0x0000_0100_0000_01b3
    private var state = WordHasher.offsetBasis

    public init() {}

    @inline(__always)
    private mutating func mix(_ word: UInt64) {
        state = (state ^ word) &* Self.prime
        state ^= state >> 32
    }

    /// Mixes in a 64-bit value.
    public mutating func combine(_ value: UInt64) {
        mix(value)
    }

    /// Mixes in an integer (as its 64-bit two's complement).
    public mutating func combine(_ value: Int) {
        mix(UInt64(bitPattern: Int64(value)))
    }

    /// Mixes in the length and then the contents of `bytes`.
    public mutating func combine(_ bytes: UnsafeRawBufferPointer) {
        mix(UInt64(bytes.count))
        let words = bytes.count / 8
        for k in 0..<words {
            mix(UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: k * 8, as: UInt64.self)))
        }
        let tail = bytes.count - words * 8
        guard tail > 0 else { return }
        var last: UInt64 = 0
        for k in 0..<tail {
            last |= UInt64(bytes[words * 8 + k]) << UInt64(8 * k)
        }
        mix(last)
    }

    /// The same hash as `combine(bytes)`, handing each `chunk`-byte piece (a multiple of 8)
    /// to `done` once it is mixed in: a caller can let go of a memory map's pages as it goes.
    public mutating func combine(_ bytes: UnsafeRawBufferPointer, chunk: Int, done: (UnsafeRawBufferPointer) -> Void) {
        precondition(chunk > 0 && chunk % 8 == 0)
        var start = 0
        mix(UInt64(bytes.count))
        while start + chunk <= bytes.count - bytes.count % 8 {
            for k in 0..<(chunk / 8) {
                mix(UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: start + k * 8, as: UInt64.self)))
            }
            done(UnsafeRawBufferPointer(rebasing: bytes[start..<(start + chunk)]))
            start += chunk
        }
        let rest = UnsafeRawBufferPointer(rebasing: bytes[start...])
        let words = rest.count / 8
        for k in 0..<words {
            mix(UInt64(littleEndian: rest.loadUnaligned(fromByteOffset: k * 8, as: UInt64.self)))
        }
        let tail = rest.count - words * 8
        if tail > 0 {
            var last: UInt64 = 0
            for k in 0..<tail {
                last |= UInt64(rest[words * 8 + k]) << UInt64(8 * k)
            }
            mix(last)
        }
        done(rest)
    }

    /// Mixes in `bytes` (length first).
    public mutating func combine(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { combine($0) }
    }

    /// Mixes in the UTF-8 bytes of `text` (length first).
    public mutating func combine(_ text: String) {
        var text = text
        text.withUTF8 { combine(UnsafeRawBufferPointer($0)) }
    }

    /// The finalized hash of everything combined so far.
    public var value: UInt64 {
        var h = state
        h ^= h >> 33
        h &*= 0xff51_afd7_ed55_8ccd
        h ^= h >> 33
        h &*= 0xc4ce_b9fe_1a85_ec53
        h ^= h >> 33
        return h
    }
}
