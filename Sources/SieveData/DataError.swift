/// An error in a pool's files, located as precisely as the reader could.
///
/// Every error names the file. Where it is known, it also names the global
/// training row (`row`), the 1-based line of `samples.jsonl` (`line`) and the
/// tensor or JSON field (`field`), so that a message such as
/// `DATA/signals/part-0000.safetensors: row 17: grad: value is NaN` tells the
/// operator exactly where to look. `description` omits absent parts.
public struct DataError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The path of the offending file (or directory), as the reader saw it.
    public let file: String
    /// The global training row number, when the error concerns one row.
    public let row: Int?
    /// The 1-based line number, for line-oriented files (`samples.jsonl`).
    public let line: Int?
    /// The tensor name or JSON field concerned, if any.
    public let field: String?
    /// What is wrong, in words.
    public let message: String

    public init(file: String, row: Int? = nil, line: Int? = nil, field: String? = nil, message: String) {
        self.file = file
        self.row = row
        self.line = line
        self.field = field
        self.message = message
    }

    /// `file: line L: row R: field: message`, leaving out absent parts.
    public var description: String {
        var parts = [file]
        if let line { parts.append("line \(line)") }
        if let row { parts.append("row \(row)") }
        if let field { parts.append(field) }
        parts.append(message)
        return parts.joined(separator: ": ")
    }
}
