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
/// ``ByteWriter``), a bulk copy out of the payload on a little-endian host.
struct ByteReader {
    private let bytes: UnsafeRawBufferPointer
    private var offset: Int
    /// Where the payload ends in `bytes`.
    private let end: Int
    /// The message being read; its name is the prefix of field names in errors.
    let messageType: MessageType
    var messageName: String { messageType.name }

    /// Reads `bytes`, which must stay valid while the reader is used.
    init(_ bytes: UnsafeRawBufferPointer, messageType: MessageType) {
        self.bytes = bytes
        offset = 0
        end = bytes.count
        self.messageType = messageType
    }

    var remaining: Int { end - offset }

    @inline(__always) mutating func u8(_ field: String) throws -> UInt8 { try integer(field) }
    @inline(__always) mutating func u16(_ field: String) throws -> UInt16 { try integer(field) }
    @inline(__always) mutating func u32(_ field: String) throws -> UInt32 { try integer(field) }
    @inline(__always) mutating func u64(_ field: String) throws -> UInt64 { try integer(field) }

    mutating func f64(_ field: String) throws -> Double {
        Double(bitPattern: try integer(field))
    }

    /// `u32` byte count, then that many bytes, which must be valid UTF-8.
    mutating func string(_ field: String) throws -> String {
        let length = Int(try u32(field))
        guard length <= remaining else {
            throw malformed(field, "string length \(length) exceeds the \(remaining) bytes left")
        }
        let range = offset..<(offset + length)
        guard let value = String(validating: UnsafeRawBufferPointer(rebasing: bytes[range]), as: UTF8.self) else {
            throw malformed(field, "the \(length) string bytes are not valid UTF-8")
        }
        offset = range.upperBound
        return value
    }

    /// `u32` byte count, then that many raw bytes.
    mutating func bytes(_ field: String) throws -> [UInt8] {
        let length = Int(try u32(field))
        guard length <= remaining else {
            throw malformed(field, "byte string length \(length) exceeds the \(remaining) bytes left")
        }
        defer { offset += length }
        return Array(bytes[offset..<(offset + length)])
    }

    /// `u32` count, then that many binary64 bit patterns, little-endian.
    mutating func f64Array(_ field: String, hostIsLittleEndian: Bool = WireArrays.hostIsLittleEndian) throws -> [Double] {
        let count = try arrayCount(field, elementSize: 8)
        return readWords(count, hostIsLittleEndian: hostIsLittleEndian)
    }

    /// `u32` count, then that many `u64` values, little-endian.
    mutating func u64Array(_ field: String, hostIsLittleEndian: Bool = WireArrays.hostIsLittleEndian) throws -> [UInt64] {
        let count = try arrayCount(field, elementSize: 8)
        return readWords(count, hostIsLittleEndian: hostIsLittleEndian)
    }

    /// Throws ``WireError/Code/trailingBytes`` unless the whole payload was read.
    func finish() throws {
        guard remaining == 0 else {
            throw WireError.trailingBytes(after: messageName, count: remaining)
        }
    }

    /// A ``WireError/Code/malformedField`` error naming `field` of this message.
    func malformed(_ field: String, _ detail: String) -> WireError {
        WireError.malformedField("\(messageName).\(field)", detail)
    }

    @inline(__always)
    private mutating func integer<T: FixedWidthInteger>(_ field: String) throws -> T {
        let size = MemoryLayout<T>.size
        guard size <= remaining else { throw tooShort(field, size) }
        let raw = bytes.loadUnaligned(fromByteOffset: offset, as: T.self)
        offset += size
        return T(bigEndian: raw)
    }

    /// The error of a field that needs `size` bytes where fewer are left (kept out of line, so
    /// that the integer reads inline into the message decoders).
    @inline(never)
    private func tooShort(_ field: String, _ size: Int) -> WireError {
        malformed(field, "needs \(size) bytes but only \(remaining) are left")
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
