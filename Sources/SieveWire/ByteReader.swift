/// Reads protocol field encodings from one message payload, front to back.
///
/// Every read names the field it reads, so that a failure says where the
/// payload went wrong: the error names `<message>.<field>` (for example
/// `welcome.dataPath`). Counts of strings and arrays are checked against the
/// bytes left in the payload before anything is allocated for them, so a
/// hostile count cannot make the reader reserve more memory than the payload
/// itself occupies.
///
/// It reads the payload where it lies (a frame decoder's buffer, a frame's payload), through a
/// pointer valid while the reader is in use: nothing is copied but the values it returns.
/// Scalars are big-endian; the elements of `f64` and `u64` arrays are little-endian (see
/// ``ByteWriter``), a bulk copy out of the payload on a little-endian host, or no copy at all
/// for an array a ``FrameDecoder`` received in place (``InPlaceArrays``).
@usableFromInline
struct ByteReader {
    // The fields are internal (not private) only so that the inlinable decoding loop can read
    // fields from other modules; they are changed only by the methods in this file.
    @usableFromInline let bytes: UnsafeRawBufferPointer
    @usableFromInline var offset: Int
    /// Where the payload ends: the limit of every count and every error message.
    @usableFromInline let end: Int
    /// Bytes of the payload that are there to read: `end`, except while a ``FrameDecoder``
    /// probes a frame still arriving (then a read beyond it throws ``ProbeSignal``).
    @usableFromInline let available: Int
    /// The message being read; its name is the prefix of field names in errors.
    @usableFromInline let messageType: MessageType
    var messageName: String { messageType.name }
    /// How arrays read out of the payload are converted (see ``WireArrays``).
    @usableFromInline let hostIsLittleEndian: Bool
    /// Arrays of this payload that are not in `bytes` but in their own storage already. Not
    /// retained (so that a reader stays a plain value, with no reference counting per message):
    /// whoever makes the reader keeps it alive while the reader is used, like `bytes`.
    @usableFromInline unowned(unsafe) let inPlace: InPlaceArrays?
    /// While probing: an array of at least this many bytes not yet all there is reported
    /// (``ProbeSignal/array(offset:count:)``) instead of waited for.
    @usableFromInline let minimumInPlaceBytes: Int

    /// Reads `bytes`, which must stay valid while the reader is used; `inPlace` holds the
    /// arrays of the payload that a ``FrameDecoder`` received outside it (their bytes in
    /// `bytes` are not to be read).
    @inlinable
    init(
        _ bytes: UnsafeRawBufferPointer, messageType: MessageType,
        hostIsLittleEndian: Bool = WireArrays.hostIsLittleEndian, inPlace: InPlaceArrays? = nil
    ) {
        self.bytes = bytes
        offset = 0
        end = bytes.count
        available = bytes.count
        self.messageType = messageType
        self.hostIsLittleEndian = hostIsLittleEndian
        self.inPlace = inPlace
        minimumInPlaceBytes = .max
    }

    /// A reader for probing: `buffered` is the front of a payload of `payloadLength` bytes, the
    /// rest of which has not arrived. Reads past the buffered bytes throw ``ProbeSignal``.
    init(
        probing buffered: UnsafeRawBufferPointer, payloadLength: Int, messageType: MessageType,
        inPlace: InPlaceArrays?, minimumInPlaceBytes: Int
    ) {
        bytes = buffered
        offset = 0
        end = payloadLength
        available = buffered.count
        self.messageType = messageType
        hostIsLittleEndian = WireArrays.hostIsLittleEndian
        self.inPlace = inPlace
        self.minimumInPlaceBytes = minimumInPlaceBytes
    }

    @inlinable var remaining: Int { end - offset }

    @inlinable @inline(__always) mutating func u8(_ field: String) throws -> UInt8 { try integer(field) }
    @inlinable @inline(__always) mutating func u16(_ field: String) throws -> UInt16 { try integer(field) }
    @inlinable @inline(__always) mutating func u32(_ field: String) throws -> UInt32 { try integer(field) }
    @inlinable @inline(__always) mutating func u64(_ field: String) throws -> UInt64 { try integer(field) }

    @usableFromInline mutating func f64(_ field: String) throws -> Double {
        Double(bitPattern: try integer(field))
    }

    /// `u32` byte count, then that many bytes, which must be valid UTF-8.
    @usableFromInline mutating func string(_ field: String) throws -> String {
        let length = Int(try u32(field))
        guard length <= remaining else {
            throw malformed(field, "string length \(length) exceeds the \(remaining) bytes left")
        }
        try requireAvailable(length)
        let range = offset..<(offset + length)
        guard let value = String(validating: UnsafeRawBufferPointer(rebasing: bytes[range]), as: UTF8.self) else {
            throw malformed(field, "the \(length) string bytes are not valid UTF-8")
        }
        offset = range.upperBound
        return value
    }

    /// `u32` byte count, then that many raw bytes.
    @usableFromInline mutating func bytes(_ field: String) throws -> [UInt8] {
        let length = Int(try u32(field))
        guard length <= remaining else {
            throw malformed(field, "byte string length \(length) exceeds the \(remaining) bytes left")
        }
        try requireAvailable(length)
        defer { offset += length }
        return Array(bytes[offset..<(offset + length)])
    }

    /// `u32` count, then that many binary64 bit patterns, little-endian.
    @usableFromInline mutating func f64Array(_ field: String, hostIsLittleEndian: Bool? = nil) throws -> [Double] {
        let count = try arrayCount(field, elementSize: 8)
        if let inPlace, let values = inPlace.values(atPayloadOffset: offset) {
            offset += 8 * count
            return values.asF64
        }
        try requireAvailableArray(count, asF64: true)
        return readWords(count, hostIsLittleEndian: hostIsLittleEndian ?? self.hostIsLittleEndian)
    }

    /// `u32` count, then that many `u64` values, little-endian.
    @usableFromInline mutating func u64Array(_ field: String, hostIsLittleEndian: Bool? = nil) throws -> [UInt64] {
        let count = try arrayCount(field, elementSize: 8)
        if let inPlace, let values = inPlace.values(atPayloadOffset: offset) {
            offset += 8 * count
            return values.asU64
        }
        try requireAvailableArray(count, asF64: false)
        return readWords(count, hostIsLittleEndian: hostIsLittleEndian ?? self.hostIsLittleEndian)
    }

    /// Throws ``WireError/Code/trailingBytes`` unless the whole payload was read.
    @inlinable @inline(__always)
    func finish() throws {
        guard offset == end else { throw Self.trailingBytes(messageType, count: end &- offset) }
    }

    /// A ``WireError/Code/malformedField`` error naming `field` of this message.
    @inlinable @inline(__always)
    func malformed(_ field: String, _ detail: @autoclosure () -> String) -> WireError {
        Self.malformed(messageType, field, detail())
    }

    // The errors are made out of line by static functions given only what they need: so that
    // a message's decoder, inlined into the frame decoder's loop, can keep the reader in
    // registers (a method would take the whole reader by address).

    @usableFromInline @inline(never)
    static func trailingBytes(_ type: MessageType, count: Int) -> WireError {
        WireError.trailingBytes(after: type.name, count: count)
    }

    @usableFromInline @inline(never)
    static func malformed(_ type: MessageType, _ field: String, _ detail: String) -> WireError {
        WireError.malformedField("\(type.name).\(field)", detail)
    }

    @inlinable @inline(__always)
    mutating func integer<T: FixedWidthInteger>(_ field: String) throws -> T {
        let size = MemoryLayout<T>.size
        // 0 <= offset <= available <= end <= bytes.count (buffered bytes while probing): the
        // wrapping arithmetic cannot wrap, and a payload with bytes left has a base address.
        guard size <= available &- offset else {
            throw Self.shortRead(field, size, remaining: end &- offset, messageType: messageType)
        }
        let raw = bytes.baseAddress.unsafelyUnwrapped.loadUnaligned(fromByteOffset: offset, as: T.self)
        offset &+= size
        return T(bigEndian: raw)
    }

    /// The error of a field that needs `size` bytes where fewer are there: the payload is too
    /// short, or, while probing, the bytes have not arrived yet. Out of line, and static, taking
    /// what it needs: so the integer reads inline into the message decoders, and the reader can
    /// stay in registers (a method would need it in memory, stored at every read).
    @usableFromInline @inline(never)
    static func shortRead(_ field: String, _ size: Int, remaining: Int, messageType: MessageType) -> Error {
        if size <= remaining { return ProbeSignal.needMoreBytes }
        return WireError.malformedField("\(messageType.name).\(field)", "needs \(size) bytes but only \(remaining) are left")
    }

    /// While probing, throws unless the next `count` bytes (whose count was checked against
    /// the payload) have arrived.
    @inline(__always)
    private func requireAvailable(_ count: Int) throws {
        if count > available &- offset { throw ProbeSignal.needMoreBytes }
    }

    /// While probing, throws unless the `count` elements of the array at the offset have
    /// arrived; a large array that has not is reported, to be received in place.
    @inline(__always)
    private func requireAvailableArray(_ count: Int, asF64: Bool) throws {
        if 8 * count > available &- offset {
            throw 8 * count >= minimumInPlaceBytes
                ? ProbeSignal.array(offset: offset, count: count, asF64: asF64) : ProbeSignal.needMoreBytes
        }
    }

    /// Reads a `u32` element count and checks the elements fit in what is left.
    private mutating func arrayCount(_ field: String, elementSize: Int) throws -> Int {
        let count = Int(try u32(field))
        guard count * elementSize <= remaining else {
            throw malformed(
                field, "array of \(count) elements needs \(count * elementSize) bytes but only \(remaining) are left")
        }
        return count
    }

    /// Reads `count` little-endian 8-byte words into a new array of `Word` (`Double` or
    /// `UInt64`): one bulk copy on a little-endian host, a byte-swapping pass otherwise. The
    /// count was checked against the bytes left.
    private mutating func readWords<Word>(_ count: Int, hostIsLittleEndian: Bool) -> [Word] {
        precondition(MemoryLayout<Word>.size == 8, "only 8-byte words")
        let byteCount = count * 8
        let source = UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + byteCount)])
        let values = [Word](unsafeUninitializedCapacity: count) { buffer, initialized in
            let target = UnsafeMutableRawBufferPointer(buffer)
            if hostIsLittleEndian {
                if byteCount > 0 { target.copyMemory(from: source) }
            } else {
                WireArrays.copyWordsSwappingBytes(from: source, to: target)
            }
            initialized = count
        }
        offset += byteCount
        return values
    }
}

/// What a probing ``ByteReader`` throws instead of reading bytes that have not arrived.
enum ProbeSignal: Error {
    /// The next field is not all there yet.
    case needMoreBytes
    /// An array of `count` elements starts at payload offset `offset` (its elements, after the
    /// count) and is large and not all there: a decoder can receive it in place. `asF64`: the
    /// message reads it as `f64`s (else as `u64`s).
    case array(offset: Int, count: Int, asF64: Bool)
}
