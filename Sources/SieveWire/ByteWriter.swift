/// Appends protocol field encodings to a growing byte array.
///
/// Integers are written big-endian, doubles as the big-endian bit pattern of
/// their IEEE-754 binary64 value, strings and arrays behind a `u32` count.
/// Arrays of numbers are written in bulk into storage reserved once, so
/// payloads of tens of megabytes cost one allocation and one pass.
///
/// Writing never fails; a value that cannot be represented (a string longer
/// than `UInt32.max` bytes, an array with more than `UInt32.max` elements)
/// is a programming error and traps.
struct ByteWriter {
    private(set) var bytes: [UInt8]

    init(capacity: Int = 64) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    mutating func u8(_ value: UInt8) {
        bytes.append(value)
    }

    mutating func u16(_ value: UInt16) { integer(value) }
    mutating func u32(_ value: UInt32) { integer(value) }
    mutating func u64(_ value: UInt64) { integer(value) }

    mutating func f64(_ value: Double) {
        integer(value.bitPattern)
    }

    /// A `u32` count; traps if `count` does not fit, since no peer could read it.
    mutating func count(_ count: Int) {
        precondition(count >= 0 && count <= Int(UInt32.max), "count \(count) does not fit in a u32")
        u32(UInt32(count))
    }

    /// `u32` byte count, then the UTF-8 bytes.
    mutating func string(_ value: String) {
        let utf8 = value.utf8
        count(utf8.count)
        bytes.append(contentsOf: utf8)
    }

    /// `u32` byte count, then the bytes as they are.
    mutating func bytes(_ value: [UInt8]) {
        count(value.count)
        bytes.append(contentsOf: value)
    }

    /// `u32` count, then each value as a big-endian binary64 bit pattern.
    mutating func f64Array(_ values: [Double]) {
        count(values.count)
        appendWordsBigEndian(values)
    }

    /// `u32` count, then each value as a big-endian `u64`.
    mutating func u64Array(_ values: [UInt64]) {
        count(values.count)
        appendWordsBigEndian(values)
    }

    /// Overwrites the four bytes at `offset` with `value`, big-endian; for
    /// length fields that are only known once what follows has been written.
    mutating func patchU32(_ value: UInt32, at offset: Int) {
        bytes.withUnsafeMutableBytes { $0.storeBytes(of: value.bigEndian, toByteOffset: offset, as: UInt32.self) }
    }

    private mutating func integer<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
    }

    /// Appends `values`, 8-byte words (`Double` or `UInt64`), each in big-endian order: the
    /// array grows once, then each word is loaded, swapped and stored in one pass (no copy
    /// followed by a second pass over the copy).
    private mutating func appendWordsBigEndian<Word>(_ values: [Word]) {
        precondition(MemoryLayout<Word>.size == 8, "only 8-byte words")
        let start = bytes.count
        let byteCount = values.count * 8
        bytes.reserveCapacity(start + byteCount)
        bytes.append(contentsOf: repeatElement(0, count: byteCount))
        values.withUnsafeBytes { source in
            bytes.withUnsafeMutableBytes { raw in
                let target = raw.baseAddress! + start
                for index in 0..<values.count {
                    let word = source.loadUnaligned(fromByteOffset: index * 8, as: UInt64.self)
                    target.storeBytes(of: word.bigEndian, toByteOffset: index * 8, as: UInt64.self)
                }
            }
        }
    }
}
