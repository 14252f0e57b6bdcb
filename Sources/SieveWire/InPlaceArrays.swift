/// The large arrays of one frame that a ``FrameDecoder`` receives straight into a buffer of
/// their own, outside the frame buffer (which would otherwise grow to hold them and move them
/// when it compacts); each becomes the decoded message's array with one copy when complete.
///
/// How: once a large frame's header has arrived, the decoder runs the message's own field
/// decoder over the bytes buffered so far (a probing ``ByteReader``). When that decoder comes to
/// an `f64`/`u64` array of at least `minimumInPlaceArrayBytes` bytes that has not all arrived, the
/// probe stops there with the array's offset and count; the decoder allocates a buffer for the
/// array, moves in the few bytes of it already buffered, and offers the rest of that buffer as
/// the space for the next reads. The frame buffer keeps a hole where the array's bytes would have
/// been (address space that is never touched), so every other field keeps its offset; the
/// bytes after the array go to the frame buffer after the hole, and the probe runs again for a
/// later array. When the frame is complete, the message's decoder reads it as usual, and a
/// reader that comes to an array held here takes it instead of reading bytes.
///
/// Array elements are little-endian on the wire; a big-endian host reverses each element's
/// bytes in place once the array is complete.
///
/// The reads go into memory this type allocated itself (``ReceiveBuffer``), never into a Swift
/// array's storage: a pointer to an array's elements is valid only inside its `withUnsafe*`
/// call, and the socket writes long after that. Once the array is complete its bytes are copied,
/// once, into the `[Double]` or `[UInt64]` the message holds, and the buffer is freed; so the
/// message's array is only ever written through its own API.
///
/// `@unchecked Sendable`: a ``FrameDecoder`` (a `Sendable` value) holds one of these by
/// reference, copy-on-write like `Array`'s buffer: every mutation goes through
/// `FrameDecoder.uniqueInPlaceArrays()` or `takeInPlaceArrays()`, which `deepCopy()` it unless
/// `isKnownUniquelyReferenced`; a copy shared with another decoder is only read.
@usableFromInline
final class InPlaceArrays: @unchecked Sendable {
    /// One array: where its elements lie in the payload, and its storage.
    struct Entry {
        /// Offset of the first element in the payload (just after the array's count).
        let offset: Int
        let count: Int
        /// Whether the decoder reads it as `f64`s.
        let asF64: Bool
        /// Bytes of it received so far.
        var filled: Int
        /// While bytes arrive: the memory they go to. Nil once complete.
        var buffer: ReceiveBuffer?
        /// Once complete: the values (nil before).
        var values: Values?

        var byteCount: Int { 8 * count }

        /// The memory bytes go to while the array is incomplete.
        var base: UnsafeMutableRawPointer { buffer!.base }
    }

    /// Memory of our own for one array's bytes while they arrive: its address stays valid, and
    /// writing through it is defined, until the object goes away.
    final class ReceiveBuffer {
        let base: UnsafeMutableRawPointer
        let byteCount: Int

        init(byteCount: Int) {
            self.byteCount = byteCount
            base = UnsafeMutableRawPointer.allocate(byteCount: max(byteCount, 8), alignment: 16)
        }

        /// A copy of the first `filled` bytes, in memory of its own.
        func copy(filled: Int) -> ReceiveBuffer {
            let new = ReceiveBuffer(byteCount: byteCount)
            new.base.copyMemory(from: base, byteCount: filled)
            return new
        }

        deinit { base.deallocate() }
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

        func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
            switch self {
            case .f64(let values): try values.withUnsafeBytes(body)
            case .u64(let values): try values.withUnsafeBytes(body)
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
        for entry in entries where entry.offset == offset { return entry.values }
        return nil
    }

    /// Starts receiving the array of `count` 8-byte elements at payload offset `offset` (the
    /// count was checked against the frame's length). `asF64`: whether the decoder reads it as
    /// `f64`s. The memory is not initialized: every byte is received before anyone reads one.
    func begin(offset: Int, count: Int, asF64: Bool) -> Entry {
        precondition(active == nil, "one in-place array at a time")
        let entry = Entry(
            offset: offset, count: count, asF64: asF64, filled: 0,
            buffer: ReceiveBuffer(byteCount: 8 * count), values: nil)
        entries.append(entry)
        active = entries.count - 1
        return entry
    }

    /// The array being filled.
    var activeEntry: Entry? { active.map { entries[$0] } }

    /// Records `count` more bytes of the active array; returns true when that completes it
    /// (which on a big-endian host also puts its elements in host order, and makes its values).
    func didFill(_ count: Int, hostIsLittleEndian: Bool) -> Bool {
        let index = active!
        entries[index].filled += count
        precondition(entries[index].filled <= entries[index].byteCount, "more bytes than the array holds")
        guard entries[index].filled == entries[index].byteCount else { return false }
        let entry = entries[index]
        let memory = UnsafeMutableRawBufferPointer(start: entry.base, count: entry.byteCount)
        if !hostIsLittleEndian {
            WireArrays.copyWordsSwappingBytes(from: UnsafeRawBufferPointer(memory), to: memory)
        }
        let source = UnsafeRawBufferPointer(memory)
        entries[index].values = entry.asF64 ? .f64(Self.words(source, entry.count)) : .u64(Self.words(source, entry.count))
        entries[index].buffer = nil
        active = nil
        return true
    }

    /// `count` 8-byte words copied out of `source`.
    private static func words<Word: BitwiseCopyable>(_ source: UnsafeRawBufferPointer, _ count: Int) -> [Word] {
        [Word](unsafeUninitializedCapacity: count) { buffer, initialized in
            if count > 0 { UnsafeMutableRawBufferPointer(buffer).copyMemory(from: source) }
            initialized = count
        }
    }

    /// A copy with buffers of its own (for a decoder whose copy shares these); complete arrays
    /// are values and are shared.
    func deepCopy() -> InPlaceArrays {
        let copy = InPlaceArrays()
        copy.probeFinished = probeFinished
        copy.active = active
        for var entry in entries {
            entry.buffer = entry.buffer?.copy(filled: entry.filled)
            copy.entries.append(entry)
        }
        return copy
    }

    /// The wire bytes of a complete array (little-endian elements), for a caller that wants
    /// the frame's payload as bytes.
    func copyWireBytes(of entry: Entry, to target: UnsafeMutableRawPointer, hostIsLittleEndian: Bool) {
        entry.values!.withUnsafeBytes { source in
            let target = UnsafeMutableRawBufferPointer(start: target, count: entry.byteCount)
            if hostIsLittleEndian {
                target.copyMemory(from: source)
            } else {
                WireArrays.copyWordsSwappingBytes(from: source, to: target)
            }
        }
    }
}
