/// Where a message body writes its fields, in the order `docs/protocol.md` gives.
///
/// A message is encoded in two passes over its fields with the same code: a ``SizeCounter``
/// adds up the bytes, then a ``ByteWriter`` stores them into storage allocated once at exactly
/// that size. So a 37-byte `assign` costs one allocation (none when appended to a caller's
/// buffer) and a few stores, and a 64 MiB `scores` one allocation and one bulk copy.
///
/// Scalars (integers, a lone `f64`, counts) are big-endian; the elements of `f64` and `u64`
/// arrays are **little-endian**, so that on a little-endian host (every x86-64 and ARM64
/// machine gradsieve runs on) an array goes out as one copy of its memory; a big-endian host
/// byte-swaps each element (``WireArrays``). Strings, byte strings and arrays sit behind a
/// big-endian `u32` count.
///
/// Writing never fails; a value that cannot be represented (a string longer than `UInt32.max`
/// bytes, an array with more than `UInt32.max` elements) is a programming error and traps.
@usableFromInline
protocol FieldSink {
    mutating func u8(_ value: UInt8)
    mutating func u16(_ value: UInt16)
    mutating func u32(_ value: UInt32)
    mutating func u64(_ value: UInt64)
    /// A single `f64` field: its bit pattern, big-endian like every scalar.
    mutating func f64(_ value: Double)
    /// `u32` byte count, then the UTF-8 bytes.
    mutating func string(_ value: String)
    /// `u32` byte count, then the bytes as they are.
    mutating func bytes(_ value: [UInt8])
    /// `u32` count, then each value's binary64 bit pattern, little-endian.
    mutating func f64Array(_ values: [Double])
    /// `u32` count, then each value little-endian.
    mutating func u64Array(_ values: [UInt64])
}

/// The first pass of encoding: counts the bytes the fields take.
// The counters, writer and their fields are internal (not private(set)) only so that inlinable
// encoding can use them from other modules; they are changed only by the methods in this file.
@usableFromInline
struct SizeCounter: FieldSink {
    @usableFromInline var size = 0
    /// The elements' bytes of the arrays of at least `minimumSegmentBytes`: those a vectored
    /// write sends from the arrays themselves (``OutgoingFrame``).
    @usableFromInline var segmentBytes = 0
    @usableFromInline let minimumSegmentBytes: Int

    @inlinable
    init(minimumSegmentBytes: Int = .max) {
        self.minimumSegmentBytes = minimumSegmentBytes
    }

    @inlinable
    mutating func u8(_ value: UInt8) { size += 1 }
    @inlinable
    mutating func u16(_ value: UInt16) { size += 2 }
    @inlinable
    mutating func u32(_ value: UInt32) { size += 4 }
    @inlinable
    mutating func u64(_ value: UInt64) { size += 8 }
    @inlinable
    mutating func f64(_ value: Double) { size += 8 }
    @inlinable
    mutating func string(_ value: String) { size += 4 + value.utf8.count }
    @inlinable
    mutating func bytes(_ value: [UInt8]) { size += 4 + value.count }
    @inlinable
    mutating func f64Array(_ values: [Double]) { array(values.count) }
    @inlinable
    mutating func u64Array(_ values: [UInt64]) { array(values.count) }

    @inlinable
    mutating func array(_ count: Int) {
        size += 4 + 8 * count
        if 8 * count >= minimumSegmentBytes { segmentBytes += 8 * count }
    }
}

/// The second pass of encoding: stores the fields into storage of the counted size.
///
/// Every store checks that it stays within the storage (a miscount traps, it never writes
/// past the end); the caller checks that the storage was filled exactly.
@usableFromInline
struct ByteWriter: FieldSink {
    @usableFromInline let base: UnsafeMutableRawPointer?
    /// Bytes written so far.
    @usableFromInline var offset = 0
    @usableFromInline let end: Int
    /// True to write array elements as this host holds them in memory; `false` only in tests,
    /// which run the big-endian host's path on this little-endian one.
    @usableFromInline let hostIsLittleEndian: Bool

    /// Writes into `storage`, which must stay valid while the writer is used.
    @inlinable
    init(_ storage: UnsafeMutableRawBufferPointer, hostIsLittleEndian: Bool = WireArrays.hostIsLittleEndian) {
        base = storage.baseAddress
        end = storage.count
        self.hostIsLittleEndian = hostIsLittleEndian
    }

    /// Bytes left in the storage.
    @inlinable
    var remaining: Int { end - offset }

    @inlinable
    mutating func u8(_ value: UInt8) { store(value) }
    @inlinable
    mutating func u16(_ value: UInt16) { store(value.bigEndian) }
    @inlinable
    mutating func u32(_ value: UInt32) { store(value.bigEndian) }
    @inlinable
    mutating func u64(_ value: UInt64) { store(value.bigEndian) }
    @inlinable
    mutating func f64(_ value: Double) { store(value.bitPattern.bigEndian) }

    /// A `u32` count; traps if `count` does not fit, since no peer could read it.
    @inlinable
    mutating func count(_ count: Int) {
        precondition(count >= 0 && count <= Int(UInt32.max), "count \(count) does not fit in a u32")
        u32(UInt32(count))
    }

    @inlinable
    mutating func string(_ value: String) {
        var value = value
        value.withUTF8 { raw(UnsafeRawBufferPointer($0)) }
    }

    @inlinable
    mutating func bytes(_ value: [UInt8]) {
        value.withUnsafeBytes { raw($0) }
    }

    @inlinable
    mutating func f64Array(_ values: [Double]) {
        count(values.count)
        values.withUnsafeBytes { words($0) }
    }

    @inlinable
    mutating func u64Array(_ values: [UInt64]) {
        count(values.count)
        values.withUnsafeBytes { words($0) }
    }

    /// `u32` byte count, then `source` as it is.
    @inlinable
    mutating func raw(_ source: UnsafeRawBufferPointer) {
        count(source.count)
        rawBytes(source)
    }

    /// `source` as it is, without a count (a frame's payload after its header).
    @inlinable
    mutating func rawBytes(_ source: UnsafeRawBufferPointer) {
        let target = reserve(source.count)
        if let from = source.baseAddress, let to = target { to.copyMemory(from: from, byteCount: source.count) }
    }

    /// The 8-byte words of `source` (the memory of a `[Double]` or `[UInt64]` on this host),
    /// little-endian: one bulk copy on a little-endian host, a byte-swapping pass otherwise.
    @inlinable
    mutating func words(_ source: UnsafeRawBufferPointer) {
        guard let to = reserve(source.count), let from = source.baseAddress else { return }
        if hostIsLittleEndian {
            to.copyMemory(from: from, byteCount: source.count)
        } else {
            WireArrays.copyWordsSwappingBytes(
                from: source, to: UnsafeMutableRawBufferPointer(start: to, count: source.count))
        }
    }

    @inlinable @inline(__always)
    mutating func store<T: FixedWidthInteger>(_ value: T) {
        reserve(MemoryLayout<T>.size)!.storeBytes(of: value, as: T.self)
    }

    /// Claims the next `count` bytes of the storage; nil only when `count` is 0 and there is no storage.
    @inlinable @inline(__always)
    mutating func reserve(_ count: Int) -> UnsafeMutableRawPointer? {
        precondition(count <= end - offset, "encoder wrote past the size it counted")
        defer { offset += count }
        return base.map { $0 + offset }
    }
}

/// How arrays of 8-byte numbers meet the wire: their elements are little-endian there.
///
/// On a little-endian host that is the bytes of the array as they lie in memory; a big-endian
/// host reverses the bytes of each element on the way out and on the way in. The writers and
/// readers take the host's order as a parameter, and the tests pass `false` to run the
/// big-endian path on this (little-endian) machine.
@usableFromInline
enum WireArrays {
    /// True on a little-endian host (x86-64, and ARM64 as Linux and macOS run it).
    @inlinable
    static var hostIsLittleEndian: Bool {
        #if _endian(little)
        true
        #else
        false
        #endif
    }

    /// Copies `source.count / 8` 8-byte words into `target` (at least as long), reversing the
    /// bytes of each: the conversion between little-endian wire words and a big-endian host's.
    /// Neither buffer needs any alignment.
    @inlinable
    static func copyWordsSwappingBytes(from source: UnsafeRawBufferPointer, to target: UnsafeMutableRawBufferPointer) {
        precondition(source.count % 8 == 0 && target.count >= source.count, "whole 8-byte words only")
        guard let from = source.baseAddress, let to = target.baseAddress else { return }
        for offset in stride(from: 0, to: source.count, by: 8) {
            let word = from.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
            to.storeBytes(of: word.byteSwapped, toByteOffset: offset, as: UInt64.self)
        }
    }
}
