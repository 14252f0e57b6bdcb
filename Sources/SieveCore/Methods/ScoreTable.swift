import SieveSelect

/// The scores of every row of an epoch, one array per column (column 0 is `score`): the
/// selection reads a column without rebuilding it, and scores.jsonl is written row by row from
/// the same arrays.
public struct ScoreTable: Sendable, Equatable {
    public private(set) var columns: [String]
    /// One array of `rows` values per column.
    public private(set) var values: [[Double]]
    public let rows: Int

    /// A table with no columns yet (the epoch's first scores fix them).
    public init(rows: Int) {
        self.rows = rows
        columns = []
        values = []
    }

    /// A table of whole columns, each of `rows` values.
    public init(rows: Int, columns: [String], values: [[Double]]) {
        precondition(columns.count == values.count && values.allSatisfy { $0.count == rows })
        self.rows = rows
        self.columns = columns
        self.values = values
    }

    public var isEmpty: Bool { columns.isEmpty }

    /// A column by name, nil when the workers did not send it.
    public func column(_ name: String) -> [Double]? {
        columns.firstIndex(of: name).map { values[$0] }
    }

    /// A column the method cannot select without.
    public func need(_ name: String, method: String) throws -> [Double] {
        guard let values = column(name) else { throw SelectionError(method: method, message: "workers sent no \(name) column") }
        return values
    }

    /// Stores one shard's scores, `rowCount` rows from `rowStart`, row-major with `columns`'
    /// width; the first shard's columns fix the table's.
    public mutating func store(rowStart: Int, rowCount: Int, columns names: [String], rowMajor: [Double]) {
        if columns.isEmpty {
            columns = names
            values = Array(repeating: [Double](repeating: 0, count: rows), count: names.count)
        }
        precondition(names == columns && rowMajor.count == rowCount * names.count && rowStart + rowCount <= rows)
        let width = names.count
        for column in 0..<width {
            values[column].withUnsafeMutableBufferPointer { target in
                rowMajor.withUnsafeBufferPointer { source in
                    for offset in 0..<rowCount { target[rowStart + offset] = source[offset * width + column] }
                }
            }
        }
    }

    /// The table row-major, as the wire and the tests see it.
    public var rowMajor: [Double] {
        var out = [Double](repeating: 0, count: rows * columns.count)
        let width = columns.count
        for column in 0..<width {
            for row in 0..<rows { out[row * width + column] = values[column][row] }
        }
        return out
    }
}
