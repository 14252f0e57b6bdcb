/// A validating scanner for one line of JSON Lines that must hold exactly one
/// JSON object, extracting that object's top-level `id` member.
///
/// `samples.jsonl` can have millions of lines, so this walks the bytes once
/// without building any values: it checks the full RFC 8259 grammar (strings
/// with valid escapes and UTF-8 and no raw control characters, numbers,
/// literals, nesting up to `maximumDepth`), and decodes only the top-level
/// keys and the `id` string. Surrogate pairing of `\u` escapes is enforced
/// only where a string is decoded (keys and `id`); other fields are passed
/// over as the contract says they are not needed.
struct JSONObjectLineScanner {
    /// What the top-level `id` member held.
    enum IDField: Equatable {
        case missing
        case string(String)
        /// Present but not a string; the JSON kind found ("number", ...).
        case notString(String)
    }

    /// Where the top-level `id` string's contents lie in the line (between its quotes), without
    /// decoding them: `escaped` says whether they hold a backslash escape (then the raw bytes
    /// differ from the id and must be decoded; otherwise they are the id's UTF-8 exactly).
    enum IDLocation: Equatable {
        case missing
        case string(range: Range<Int>, escaped: Bool)
        case notString(String)
    }

    static let maximumDepth = 512

    private let bytes: UnsafeRawBufferPointer
    private var index = 0
    private var id = IDLocation.missing
    /// Set by `scanEscape`: lets a caller learn whether the string just scanned held an escape.
    private var sawEscape = false

    /// Scans `line` (without its newline) and decodes the id. Throws `JSONSyntaxError`.
    static func scan(_ line: UnsafeRawBufferPointer) throws -> IDField {
        switch try locate(line) {
        case .missing: return .missing
        case .notString(let kind): return .notString(kind)
        case .string(let range, let escaped):
            return .string(escaped ? decodedString(line, range) : String(decoding: UnsafeRawBufferPointer(rebasing: line[range]), as: UTF8.self))
        }
    }

    /// Scans `line` (without its newline), the same checks as `scan`, and says where the id is
    /// instead of decoding it: no allocation for a line whose keys and id hold no escape, which
    /// is what lets the coordinator check millions of lines without keeping their ids.
    static func locate(_ line: UnsafeRawBufferPointer) throws -> IDLocation {
        var scanner = JSONObjectLineScanner(bytes: line)
        try scanner.scanLine()
        return scanner.id
    }

    /// The id whose escaped contents are `range` of `line` (a range `locate` returned), decoded.
    static func decodedString(_ line: UnsafeRawBufferPointer, _ range: Range<Int>) -> String {
        var scanner = JSONObjectLineScanner(bytes: line)
        scanner.index = range.lowerBound - 1
        var decoded: [UInt8] = []
        // The line was validated by `locate`, so decoding cannot fail.
        try! scanner.decodeString(into: &decoded)
        return String(decoding: decoded, as: UTF8.self)
    }

    private init(bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    private mutating func scanLine() throws {
        skipWhitespace()
        guard peek() == UInt8(ascii: "{") else {
            throw fail(atEnd ? "expected a JSON object, found an empty line" : "expected '{': each line must be one JSON object")
        }
        try scanObject(depth: 1)
        skipWhitespace()
        guard atEnd else { throw fail("unexpected \(describe(peek())) after the object") }
    }

    // MARK: Values

    private mutating func scanValue(depth: Int) throws {
        switch peek() ?? 0 {
        case UInt8(ascii: "{"): try scanObject(depth: depth + 1)
        case UInt8(ascii: "["): try scanArray(depth: depth + 1)
        case UInt8(ascii: "\""): try scanString(decodeInto: nil)
        case UInt8(ascii: "t"): try scanLiteral("true")
        case UInt8(ascii: "f"): try scanLiteral("false")
        case UInt8(ascii: "n"): try scanLiteral("null")
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): try scanNumber()
        default: throw fail("expected a value, found \(describe(peek()))")
        }
    }

    /// Scans `{...}` with the cursor on `{`. At depth 1 it also records `id`.
    private mutating func scanObject(depth: Int) throws {
        guard depth <= Self.maximumDepth else { throw fail("nesting deeper than \(Self.maximumDepth) levels") }
        index += 1
        skipWhitespace()
        if peek() == UInt8(ascii: "}") { index += 1; return }
        while true {
            guard peek() == UInt8(ascii: "\"") else { throw fail("expected a string key, found \(describe(peek()))") }
            var isID = false
            if depth == 1 {
                isID = try scanTopLevelKeyIsID()
            } else {
                try scanString(decodeInto: nil)
            }
            skipWhitespace()
            guard peek() == UInt8(ascii: ":") else { throw fail("expected ':' after the key, found \(describe(peek()))") }
            index += 1
            skipWhitespace()
            if isID {
                try scanIDValue()
            } else {
                try scanValue(depth: depth)
            }
            guard try scanSeparator(closing: UInt8(ascii: "}")) else { return }
        }
    }

    /// Scans `[...]` with the cursor on `[`.
    private mutating func scanArray(depth: Int) throws {
        guard depth <= Self.maximumDepth else { throw fail("nesting deeper than \(Self.maximumDepth) levels") }
        index += 1
        skipWhitespace()
        if peek() == UInt8(ascii: "]") { index += 1; return }
        while true {
            try scanValue(depth: depth)
            guard try scanSeparator(closing: UInt8(ascii: "]")) else { return }
        }
    }

    /// After a member or element: consumes `,` (returning true, more follow)
    /// or the closing bracket (returning false). Rejects trailing commas.
    private mutating func scanSeparator(closing: UInt8) throws -> Bool {
        skipWhitespace()
        if peek() == closing { index += 1; return false }
        guard peek() == UInt8(ascii: ",") else {
            throw fail("expected ',' or '\(Character(Unicode.Scalar(closing)))', found \(describe(peek()))")
        }
        index += 1
        skipWhitespace()
        if peek() == closing { throw fail("trailing comma before '\(Character(Unicode.Scalar(closing)))'") }
        return true
    }

    /// Scans a top-level key with the cursor on its quote and says whether it is `id`. A key
    /// without escapes is compared in place; one with escapes is decoded (which also checks its
    /// surrogate pairs), so `"\u0069d"` is `id` too.
    private mutating func scanTopLevelKeyIsID() throws -> Bool {
        let start = index
        sawEscape = false
        try scanString(decodeInto: nil)
        guard sawEscape else {
            return index - start == 4 && bytes[start + 1] == UInt8(ascii: "i") && bytes[start + 2] == UInt8(ascii: "d")
        }
        let end = index
        index = start
        var key: [UInt8] = []
        try decodeString(into: &key)
        precondition(index == end)
        return key == [UInt8(ascii: "i"), UInt8(ascii: "d")]
    }

    private mutating func scanIDValue() throws {
        if case .missing = id {} else { throw fail("the object has more than one \"id\" member") }
        guard peek() == UInt8(ascii: "\"") else {
            id = .notString(kindName(peek()))
            try scanValue(depth: 1)
            return
        }
        let start = index
        sawEscape = false
        try scanString(decodeInto: nil)
        let end = index
        if sawEscape {
            // Decoded once here only to check what decoding checks (surrogate pairs).
            index = start
            var decoded: [UInt8] = []
            try decodeString(into: &decoded)
        }
        id = .string(range: (start + 1)..<(end - 1), escaped: sawEscape)
    }

    private mutating func scanLiteral(_ word: StaticString) throws {
        let start = index
        for expected in UnsafeRawBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount) {
            guard peek() == expected else {
                index = start
                throw fail("invalid literal (expected \(word))")
            }
            index += 1
        }
    }

    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`
    private mutating func scanNumber() throws {
        if peek() == UInt8(ascii: "-") { index += 1 }
        if peek() == UInt8(ascii: "0") {
            index += 1
        } else {
            guard skipDigits() > 0 else { throw fail("expected a digit, found \(describe(peek()))") }
        }
        if peek() == UInt8(ascii: ".") {
            index += 1
            guard skipDigits() > 0 else { throw fail("expected a digit after '.', found \(describe(peek()))") }
        }
        if peek() == UInt8(ascii: "e") || peek() == UInt8(ascii: "E") {
            index += 1
            if peek() == UInt8(ascii: "+") || peek() == UInt8(ascii: "-") { index += 1 }
            guard skipDigits() > 0 else { throw fail("expected a digit in the exponent, found \(describe(peek()))") }
        }
    }

    private mutating func skipDigits() -> Int {
        let start = index
        while let b = peek(), b >= UInt8(ascii: "0"), b <= UInt8(ascii: "9") { index += 1 }
        return index - start
    }

    // MARK: Strings

    /// Scans a string with the cursor on its opening quote. When `out` is
    /// given, appends the unescaped UTF-8 bytes to it.
    private mutating func scanString(decodeInto out: UnsafeMutablePointer<[UInt8]>?) throws {
        index += 1
        while true {
            let runStart = index
            skipPlainASCII()
            out?.pointee.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[runStart..<index]))
            guard let b = peek() else { throw fail("unterminated string") }
            switch b {
            case UInt8(ascii: "\""):
                index += 1
                return
            case UInt8(ascii: "\\"):
                try scanEscape(decodeInto: out)
            case 0x80...:
                let start = index
                try scanUTF8Sequence()
                out?.pointee.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[start..<index]))
            default:
                throw fail("raw control character 0x\(String(b, radix: 16)) in string (must be escaped)")
            }
        }
    }

    /// Advances over printable ASCII other than `"` and `\`, the bulk of
    /// most strings, eight bytes at a time: a word is skipped whole when no
    /// byte in it is ≥ 0x80, < 0x20, `"` or `\` (the classic SWAR tests,
    /// `(x - 0x01…) & ~x & 0x80…` flags a zero byte). Stops at the first byte
    /// needing attention, which the caller handles.
    private mutating func skipPlainASCII() {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        while index + 8 <= bytes.count {
            let w = bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self)
            let quote = w ^ (ones &* 0x22), backslash = w ^ (ones &* 0x5C)
            let control = (w &- ones &* 0x20) & ~w
            let special = ((quote &- ones) & ~quote) | ((backslash &- ones) & ~backslash) | control | w
            if special & highs != 0 { break }
            index += 8
        }
        while let b = peek(), b >= 0x20, b < 0x80, b != UInt8(ascii: "\""), b != UInt8(ascii: "\\") { index += 1 }
    }

    private mutating func decodeString(into out: inout [UInt8]) throws {
        try withUnsafeMutablePointer(to: &out) { try scanString(decodeInto: $0) }
    }

    /// Scans one escape with the cursor on the backslash.
    private mutating func scanEscape(decodeInto out: UnsafeMutablePointer<[UInt8]>?) throws {
        sawEscape = true
        index += 1
        guard let b = peek() else { throw fail("unterminated string") }
        let simple: UInt8?
        switch b {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): simple = b
        case UInt8(ascii: "b"): simple = 0x08
        case UInt8(ascii: "f"): simple = 0x0C
        case UInt8(ascii: "n"): simple = 0x0A
        case UInt8(ascii: "r"): simple = 0x0D
        case UInt8(ascii: "t"): simple = 0x09
        case UInt8(ascii: "u"): simple = nil
        default:
            index -= 1
            throw fail("invalid escape \\\(Character(Unicode.Scalar(b)))")
        }
        if let simple {
            index += 1
            out?.pointee.append(simple)
            return
        }
        index -= 1
        let unit = try scanUnicodeEscape()
        guard let out else { return }
        try appendCodeUnit(unit, to: out)
    }

    /// Adds one `\u` code unit to a decoded string, pairing surrogates.
    private mutating func appendCodeUnit(_ unit: UInt16, to out: UnsafeMutablePointer<[UInt8]>) throws {
        var scalarValue = UInt32(unit)
        if (0xDC00...0xDFFF).contains(unit) { throw fail("unpaired low surrogate \\u\(hex(unit))", back: 6) }
        if (0xD800...0xDBFF).contains(unit) {
            guard peek() == UInt8(ascii: "\\"), peek(1) == UInt8(ascii: "u") else {
                throw fail("high surrogate \\u\(hex(unit)) is not followed by a low surrogate", back: 6)
            }
            let low = try scanUnicodeEscape()
            guard (0xDC00...0xDFFF).contains(low) else {
                throw fail("high surrogate \\u\(hex(unit)) is followed by \\u\(hex(low)), not a low surrogate", back: 12)
            }
            scalarValue = 0x10000 + ((UInt32(unit) - 0xD800) << 10) + (UInt32(low) - 0xDC00)
        }
        out.pointee.append(contentsOf: UTF8.encode(Unicode.Scalar(scalarValue)!)!)
    }

    /// Scans `\uXXXX` with the cursor on the backslash; returns the unit.
    private mutating func scanUnicodeEscape() throws -> UInt16 {
        var value: UInt16 = 0
        for k in 2..<6 {
            guard let b = peek(k), let digit = hexValue(b) else { throw fail("invalid \\u escape (needs four hex digits)") }
            value = value << 4 | UInt16(digit)
        }
        index += 6
        return value
    }

    /// Validates one multi-byte UTF-8 sequence with the cursor on its lead byte.
    private mutating func scanUTF8Sequence() throws {
        let lead = bytes[index]
        let length: Int
        var secondRange: ClosedRange<UInt8> = 0x80...0xBF
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; secondRange = 0xA0...0xBF
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED: length = 3; secondRange = 0x80...0x9F
        case 0xF0: length = 4; secondRange = 0x90...0xBF
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; secondRange = 0x80...0x8F
        default: throw fail("invalid UTF-8 byte 0x\(String(lead, radix: 16))")
        }
        for k in 1..<length {
            guard let b = peek(k), k == 1 ? secondRange.contains(b) : (0x80...0xBF).contains(b) else {
                throw fail("invalid UTF-8 sequence")
            }
        }
        index += length
    }

    // MARK: Cursor helpers

    private var atEnd: Bool { index >= bytes.count }

    private func peek(_ ahead: Int = 0) -> UInt8? {
        index + ahead < bytes.count ? bytes[index + ahead] : nil
    }

    private mutating func skipWhitespace() {
        while let b = peek(), b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D { index += 1 }
    }

    private func fail(_ reason: String, back: Int = 0) -> JSONSyntaxError {
        JSONSyntaxError(offset: max(0, index - back), reason: reason)
    }

    private func describe(_ byte: UInt8?) -> String {
        guard let byte else { return "end of line" }
        if byte >= 0x21 && byte < 0x7F { return "'\(Character(Unicode.Scalar(byte)))'" }
        return "byte 0x\(String(byte, radix: 16))"
    }

    private func kindName(_ byte: UInt8?) -> String {
        switch byte {
        case UInt8(ascii: "{"): return "object"
        case UInt8(ascii: "["): return "array"
        case UInt8(ascii: "t"), UInt8(ascii: "f"): return "boolean"
        case UInt8(ascii: "n"): return "null"
        default: return "number"
        }
    }

    private func hexValue(_ b: UInt8) -> UInt8? {
        switch b {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return b - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return b - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return b - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    private func hex(_ unit: UInt16) -> String {
        let digits = String(unit, radix: 16)
        return String(repeating: "0", count: 4 - digits.count) + digits
    }
}
