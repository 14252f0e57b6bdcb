/// The large arrays of one frame that a ``FrameDecoder`` receives straight into their own
/// storage, so that the decoded message owns the memory the socket wrote into: no copy out of
/// the frame buffer.
///
/// How: once a large frame's header has arrived, the decoder runs the message's own field
/// decoder over the bytes buffered so far (a probing ``ByteReader``). When that decoder comes to
/// an `f64`/`u64` array of at least `minimumInPlaceArrayBytes` bytes that has not all arrived, the
/// probe stops there with the array's offset and count; the decoder allocates the array, moves
/// in the few bytes of it already buffered, and offers the rest of the array's memory as the
/// space for the next reads. The frame buffer keeps a hole where the array's bytes would have
/// been (address space that is never touched), so every other field keeps its offset; the
/// bytes after the array go to the frame buffer after the hole, and the probe runs again for a
/// later array. When the frame is complete, the message's decoder reads it as usual, and a
/// reader that comes to an array held here takes it instead of reading bytes.
///
/// Array elements are little-endian on the wire; a big-endian host reverses each element's
/// bytes in place once the array is complete.
@usableFromInline
final class InPlaceArrays: @unchecked Sendable {
    /// One array: where its elements lie in the payload, and its storage.
    struct Entry {
        /// Offset of the first element in the payload (just after the array's count).
        let offset: Int
        let count: Int
        /// Bytes of it received so far.
        var filled: Int
        var values: Values
        /// The elements' memory, that of `values` (never shared: see ``FrameDecoder``).
        let base: UnsafeMutableRawPointer

        var byteCount: Int { 8 * count }
    }

    /// The array, as the message decoder asked for it.
    enum Values {
        case f64([Double])
        case u64([UInt64])

        /// The values as `Double`s (the same 8-byte words if the array was made as `u64`s, which
        /// the same decoder asking for the same field never does).
        var asF64: [Double] {
            switch self {
            case .f64(let values): values
            case .u64(let values): values.map { Double(bitPattern: $0) }
            }
        }

        var asU64: [UInt64] {
            switch self {
            case .f64(let values): values.map(\.bitPattern)
            case .u64(let values): values
            }
        }
    }

    private(set) var entries: [Entry] = []
    /// The index of the entry that reads are filling, if any.
    private(set) var active: Int?
    /// The probe found no further array to receive in place (or gave up): the rest of the
    /// frame goes to the frame buffer.
    var probeFinished = false

    init() {}

    /// The values of the array whose elements start at payload offset `offset`, if it is one of
    /// these (and complete).
    @inline(__always)
    func values(atPayloadOffset offset: Int) -> Values? {
        for entry in entries where entry.offset == offset && entry.filled == entry.byteCount { return entry.values }
        return nil
    }

    /// Starts receiving the array of `count` 8-byte elements at payload offset `offset` (the
    /// count was checked against the frame's length). `asF64`: whether the decoder reads it as
    /// `f64`s. The elements are not initialized: every byte is received before anyone reads one.
    func begin(offset: Int, count: Int, asF64: Bool) -> Entry {
        precondition(active == nil, "one in-place array at a time")
        var values: Values
        let base: UnsafeMutableRawPointer
        if asF64 {
            var doubles = [Double](unsafeUninitializedCapacity: count) { _, initialized in initialized = count }
            base = doubles.withUnsafeMutableBytes { $0.baseAddress ?? UnsafeMutableRawPointer(bitPattern: 8)! }
            values = .f64(doubles)
        } else {
            var words = [UInt64](unsafeUninitializedCapacity: count) { _, initialized in initialized = count }
            base = words.withUnsafeMutableBytes { $0.baseAddress ?? UnsafeMutableRawPointer(bitPattern: 8)! }
            values = .u64(words)
        }
        let entry = Entry(offset: offset, count: count, filled: 0, values: values, base: base)
        entries.append(entry)
        active = entries.count - 1
        return entry
    }

    /// The array being filled.
    var activeEntry: Entry? { active.map { entries[$0] } }

    /// Records `count` more bytes of the active array; returns true when that completes it
    /// (which on a big-endian host also puts its elements in host order).
    func didFill(_ count: Int, hostIsLittleEndian: Bool) -> Bool {
        let index = active!
        entries[index].filled += count
        precondition(entries[index].filled <= entries[index].byteCount, "more bytes than the array holds")
        guard entries[index].filled == entries[index].byteCount else { return false }
        if !hostIsLittleEndian {
            let entry = entries[index]
            let memory = UnsafeMutableRawBufferPointer(start: entry.base, count: entry.byteCount)
            WireArrays.copyWordsSwappingBytes(from: UnsafeRawBufferPointer(memory), to: memory)
        }
        active = nil
        return true
    }

    /// A copy with arrays of its own (for a decoder whose copy shares these).
    func deepCopy() -> InPlaceArrays {
        let copy = InPlaceArrays()
        copy.probeFinished = probeFinished
        copy.active = active
        for entry in entries {
            var values: Values
            let base: UnsafeMutableRawPointer
            switch entry.values {
            case .f64(let old):
                var new = old.withUnsafeBufferPointer { Array($0) }
                base = new.withUnsafeMutableBytes { $0.baseAddress ?? UnsafeMutableRawPointer(bitPattern: 8)! }
                values = .f64(new)
            case .u64(let old):
                var new = old.withUnsafeBufferPointer { Array($0) }
                base = new.withUnsafeMutableBytes { $0.baseAddress ?? UnsafeMutableRawPointer(bitPattern: 8)! }
                values = .u64(new)
            }
            copy.entries.append(Entry(offset: entry.offset, count: entry.count, filled: entry.filled, values: values, base: base))
        }
        return copy
    }

    /// The wire bytes of the array at payload offset `offset` (little-endian elements), for a
    /// caller that wants the frame's payload as bytes.
    func copyWireBytes(of entry: Entry, to target: UnsafeMutableRawPointer, hostIsLittleEndian: Bool) {
        let source = UnsafeRawBufferPointer(start: entry.base, count: entry.byteCount)
        if hostIsLittleEndian {
            target.copyMemory(from: entry.base, byteCount: entry.byteCount)
        } else {
            WireArrays.copyWordsSwappingBytes(from: source, to: UnsafeMutableRawBufferPointer(start: target, count: entry.byteCount))
        }
    }
}
