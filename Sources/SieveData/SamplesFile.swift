#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads `samples.jsonl`: one JSON object per line, each with a unique
/// string `id`; the line order is the row number.
///
/// The file is memory-mapped and each line checked by a hand-written
/// validating scanner (`JSONObjectLineScanner`), which is far cheaper than a
/// general JSON parser per line on files with millions of lines. A final
/// newline is optional; any other empty line is an error. Errors are
/// `DataError`s with the 1-based `line`, the field `id` where it is at fault,
/// and a 1-based byte column in the message for syntax errors.
public enum SamplesFile {
    /// The ids of all lines, in line order. Throws on a missing file, bad
    /// JSON, an empty line, a missing or non-string `id`, or a duplicate id
    /// (the message names the first line that had it).
    public static func readIDs(path: String) throws -> [String] {
        try readIDs(MemoryMappedFile(path: path))
    }

    /// The `id` of one JSON line (validated like a line of the file); `file`
    /// and `line` only label errors.
    public static func id(ofLine text: String, file: String = "<line>", line: Int = 1) throws -> String {
        var text = text
        return try text.withUTF8 { try id(of: UnsafeRawBufferPointer($0), file: file, line: line) }
    }

    static func readIDs(_ map: MemoryMappedFile) throws -> [String] {
        Array(try SampleIDs(map: map))
    }

    /// Calls `body` with each line of `bytes`, without its newline. The text
    /// after the last newline is a line only if it is non-empty.
    static func forEachLine(_ bytes: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) throws -> Void) rethrows {
        var start = 0
        while start < bytes.count {
            var end = start
            if let base = bytes.baseAddress, let found = memchr(base + start, 0x0A, bytes.count - start) {
                end = base.distance(to: UnsafeRawPointer(found))
            } else {
                end = bytes.count
            }
            try body(UnsafeRawBufferPointer(rebasing: bytes[start..<end]))
            start = end + 1
        }
    }

    private static func id(of line: UnsafeRawBufferPointer, file: String, line lineNumber: Int) throws -> String {
        let (range, escaped) = try locateID(line, file: file, line: lineNumber)
        return escaped ? JSONObjectLineScanner.decodedString(line, range)
            : String(decoding: UnsafeRawBufferPointer(rebasing: line[range]), as: UTF8.self)
    }

    /// Checks one line and says where its `id` string's contents are (`escaped`: they hold a
    /// backslash escape and must be decoded). Throws `DataError` for an empty line, bad JSON
    /// (with the 1-based byte column), or an `id` that is missing or not a string.
    static func locateID(_ line: UnsafeRawBufferPointer, file: String, line lineNumber: Int) throws -> (Range<Int>, Bool) {
        guard !line.isEmpty else {
            throw DataError(file: file, line: lineNumber, message: "empty line (only the final newline is optional)")
        }
        let field: JSONObjectLineScanner.IDLocation
        do {
            field = try JSONObjectLineScanner.locate(line)
        } catch let error as JSONSyntaxError {
            throw DataError(file: file, line: lineNumber, message: "invalid JSON at column \(error.offset + 1): \(error.reason)")
        }
        switch field {
        case .string(let range, let escaped): return (range, escaped)
        case .missing: throw DataError(file: file, line: lineNumber, field: "id", message: "missing \"id\" member")
        case .notString(let kind): throw DataError(file: file, line: lineNumber, field: "id", message: "\"id\" is a \(kind), not a string")
        }
    }
}
