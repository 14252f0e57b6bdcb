/// A run of consecutive global rows stored at consecutive positions of one
/// file: global rows `row ..< row + count` are the file's tensor rows
/// `fileRow ..< fileRow + count`.
///
/// `file` indexes `Pool.signalFiles` for training segments and
/// `Pool.validationFiles` for validation segments.
public struct RowSegment: Sendable, Equatable, CustomStringConvertible {
    public let file: Int
    public let fileRow: Int
    public let row: Int
    public let count: Int

    public init(file: Int, fileRow: Int, row: Int, count: Int) {
        self.file = file
        self.fileRow = fileRow
        self.row = row
        self.count = count
    }

    /// The global rows this segment covers.
    public var rows: Range<Int> { row..<(row + count) }

    public var description: String {
        "file \(file) [\(fileRow)..<\(fileRow + count)] = rows \(row)..<\(row + count)"
    }
}
