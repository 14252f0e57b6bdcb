/// Reads protocol field encodings from one message payload, front to back.
///
/// Every read names the field it reads, so that a failure says where the
/// payload went wrong: the error names `<message>.<field>` (for example
/// `welcome.dataPath`). Counts of strings and arrays are checked against the
/// bytes left in the payload before anything is allocated for them, so a
/// hostile count cannot make the reader reserve more memory than the payload
/// itself occupies.
struct ByteReader {
    private let bytes: [UInt8]
    private var offset: Int
    /// Where the payload ends in `bytes`.
    private let end: Int
    /// The message being read, used as the prefix of field names in errors.
    let messageName: String

    /// Reads `bytes[range]` (all of `bytes` by default). A range lets a decoder read a payload
    /// where it lies in its receive buffer instead of copying it out first.
    init(_ bytes: [UInt8], range: Range<Int>? = nil, messageName: String) {
        self.bytes = bytes
        offset = range?.lowerBound ?? 0
        end = range?.upperBound ?? bytes.count
        precondition(offset >= 0 && end <= bytes.count && offset <= end)
        self.messageName = messageName
    }

    var remaining: Int { end - offset }

    mutating func u8(_ field: String) throws -> UInt8 { try integer(field) }
    mutating func u16(_ field: String) throws -> UInt16 { try integer(field) }
    mutating func u32(_ field: String) throws -> UInt32 { try integer(field) }
    mutating func u64(_ field: String) throws -> UInt64 { try integer(field) }

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
        guard let value = String(validating: bytes[range], as: UTF8.self) else {
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

    /// `u32` count, then that many big-endian binary64 bit patterns.
    mutating func f64Array(_ field: String) throws -> [Double] {
        let count = try arrayCount(field, elementSize: 8)
        return readElements(count) { Double(bitPattern: UInt64(bigEndian: $0)) }
    }

    /// `u32` count, then that many big-endian `u64` values.
    mutating func u64Array(_ field: String) throws -> [UInt64] {
        let count = try arrayCount(field, elementSize: 8)
        return readElements(count) { UInt64(bigEndian: $0) }
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

    private mutating func integer<T: FixedWidthInteger>(_ field: String) throws -> T {
        let size = MemoryLayout<T>.size
        guard size <= remaining else {
            throw malformed(field, "needs \(size) bytes but only \(remaining) are left")
        }
        let raw = bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: T.self) }
        offset += size
        return T(bigEndian: raw)
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

    /// Reads `count` raw 8-byte words in one pass, converting each with `convert`.
    private mutating func readElements<T>(_ count: Int, _ convert: (UInt64) -> T) -> [T] {
        let start = offset
        let values = bytes.withUnsafeBytes { raw in
            [T](unsafeUninitializedCapacity: count) { buffer, initialized in
                for index in 0..<count {
                    let word = raw.loadUnaligned(fromByteOffset: start + index * 8, as: UInt64.self)
                    buffer.initializeElement(at: index, to: convert(word))
                }
                initialized = count
            }
        }
        offset += count * 8
        return values
    }
}
