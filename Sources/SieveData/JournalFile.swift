#if canImport(Glibc)
import Glibc
#endif

/// An append-only file of records, each framed so a crash can only ever lose the record being
/// written:
///
/// ```
/// +----------------+----------------+---------------------+
/// | length: u32 LE | crc32: u32 LE  | payload (length B)  |
/// +----------------+----------------+---------------------+
/// ```
///
/// The CRC-32 (IEEE 802.3, the zlib polynomial) covers the payload. `read` stops at the first
/// record that is cut short or fails its checksum and reports where the good prefix ends, so a
/// torn last record is dropped and the file can be truncated there before appending again.
public final class JournalFile {
    public let path: String
    private let descriptor: Int32

    /// Opens `path` for appending, creating it if needed; `truncateTo` cuts a torn tail first.
    public init(path: String, truncateTo length: Int? = nil) throws {
        self.path = path
        descriptor = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw DataError(file: path, message: "cannot open the journal: \(Self.errnoText())") }
        if let length, ftruncate(descriptor, off_t(length)) != 0 {
            close(descriptor)
            throw DataError(file: path, message: "cannot truncate the journal's torn tail: \(Self.errnoText())")
        }
    }

    deinit { close(descriptor) }

    /// Waits until every record appended so far is on disk (fdatasync).
    public func sync() throws {
        if fdatasync(descriptor) != 0 {
            throw DataError(file: path, message: "cannot flush the journal to disk: \(Self.errnoText())")
        }
    }

    /// Appends one record and, with `sync`, waits until it is on disk (fdatasync).
    public func append(_ payload: [UInt8], sync: Bool = true) throws {
        var record = [UInt8]()
        record.reserveCapacity(payload.count + 8)
        Self.appendLittleEndian(UInt32(payload.count), to: &record)
        Self.appendLittleEndian(CRC32.checksum(payload), to: &record)
        record += payload
        try record.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let written = write(descriptor, raw.baseAddress! + offset, raw.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    throw DataError(file: path, message: "cannot append to the journal: \(Self.errnoText())")
                }
                offset += written
            }
        }
        if sync && fdatasync(descriptor) != 0 {
            throw DataError(file: path, message: "cannot flush the journal to disk: \(Self.errnoText())")
        }
    }

    /// The records of a journal and the byte length of its intact prefix.
    public struct Contents {
        public var records: [[UInt8]]
        public var intactLength: Int
        /// True when bytes after the intact prefix were dropped (a torn or corrupt tail).
        public var droppedTail: Bool
    }

    /// Reads every intact record of `path`; a missing file has none.
    public static func read(path: String) throws -> Contents {
        guard access(path, F_OK) == 0 else { return Contents(records: [], intactLength: 0, droppedTail: false) }
        guard let file = fopen(path, "rb") else { throw DataError(file: path, message: "cannot read the journal: \(errnoText())") }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let count = fread(&chunk, 1, chunk.count, file)
            if count == 0 { break }
            bytes += chunk[0..<count]
        }
        var records: [[UInt8]] = []
        var offset = 0
        while offset + 8 <= bytes.count {
            let length = Int(littleEndian(bytes, offset)), checksum = littleEndian(bytes, offset + 4)
            guard offset + 8 + length <= bytes.count else { break }
            let payload = Array(bytes[(offset + 8)..<(offset + 8 + length)])
            guard CRC32.checksum(payload) == checksum else { break }
            records.append(payload)
            offset += 8 + length
        }
        return Contents(records: records, intactLength: offset, droppedTail: offset != bytes.count)
    }

    private static func littleEndian(_ bytes: [UInt8], _ offset: Int) -> UInt32 {
        (0..<4).reduce(UInt32(0)) { $0 | UInt32(bytes[offset + $1]) << (8 * UInt32($1)) }
    }

    static func appendLittleEndian(_ value: UInt32, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { bytes += $0 }
    }

    static func errnoText() -> String { String(cString: strerror(errno)) }
}

/// CRC-32 with the IEEE polynomial (reflected 0xEDB88320), as zlib computes it.
public enum CRC32 {
    /// Slicing-by-8 tables: `tables[k][b]` is the CRC of byte b followed by k zero bytes.
    private static let tables: [[UInt32]] = {
        var tables = [[UInt32]](repeating: [UInt32](repeating: 0, count: 256), count: 8)
        for index in 0..<256 {
            var value = UInt32(index)
            for _ in 0..<8 { value = value & 1 != 0 ? 0xEDB8_8320 ^ (value >> 1) : value >> 1 }
            tables[0][index] = value
        }
        for index in 0..<256 {
            for k in 1..<8 { tables[k][index] = (tables[k - 1][index] >> 8) ^ tables[0][Int(tables[k - 1][index] & 0xFF)] }
        }
        return tables
    }()
    private static let flat: [UInt32] = tables.flatMap { $0 }

    /// CRC-32 (IEEE 802.3, as zlib), eight bytes per step: the same values as a byte at a time,
    /// several times faster on the journal's scores records.
    public static func checksum(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        flat.withUnsafeBufferPointer { t in
            bytes.withUnsafeBytes { raw in
                var index = 0
                let count = raw.count
                while index + 8 <= count {
                    let word = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: index, as: UInt64.self))
                    let low = UInt32(truncatingIfNeeded: word) ^ crc
                    let high = UInt32(truncatingIfNeeded: word >> 32)
                    crc = t[7 * 256 + Int(low & 0xFF)] ^ t[6 * 256 + Int((low >> 8) & 0xFF)]
                        ^ t[5 * 256 + Int((low >> 16) & 0xFF)] ^ t[4 * 256 + Int(low >> 24)]
                        ^ t[3 * 256 + Int(high & 0xFF)] ^ t[2 * 256 + Int((high >> 8) & 0xFF)]
                        ^ t[1 * 256 + Int((high >> 16) & 0xFF)] ^ t[Int(high >> 24)]
                    index += 8
                }
                while index < count {
                    crc = t[Int((crc ^ UInt32(raw[index])) & 0xFF)] ^ (crc >> 8)
                    index += 1
                }
            }
        }
        return crc ^ 0xFFFF_FFFF
    }
}
