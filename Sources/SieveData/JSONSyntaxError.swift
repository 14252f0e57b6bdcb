/// A JSON syntax error inside one line: the byte offset where scanning
/// stopped and why. `SamplesFile` turns it into a `DataError` with the line
/// number and a 1-based column.
struct JSONSyntaxError: Error, Equatable {
    /// 0-based byte offset within the line.
    let offset: Int
    let reason: String
}
