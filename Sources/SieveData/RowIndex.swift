/// Maps global row numbers to (file, position) through sorted runs.
///
/// A run is a stretch of consecutive file positions holding consecutive
/// global rows. Contiguous files (the normal case) give one run per file, so
/// the index is tiny; a file that lists its rows in shuffled order gives many
/// short runs and still works. Runs are sorted by row and partition
/// `0..<rowCount` exactly, so a lookup is a binary search.
struct RowIndex {
    let runs: [RowSegment]
    let rowCount: Int

    /// An index over already-partitioning runs (sorted by row).
    init(sortedRuns: [RowSegment], rowCount: Int) {
        runs = sortedRuns
        self.rowCount = rowCount
    }

    /// An index for files concatenated in order (the validation set).
    init(concatenating counts: [Int]) {
        var runs: [RowSegment] = []
        var start = 0
        for (file, count) in counts.enumerated() where count > 0 {
            runs.append(RowSegment(file: file, fileRow: 0, row: start, count: count))
            start += count
        }
        self.init(sortedRuns: runs, rowCount: start)
    }

    /// The segments covering `rows`, in row order, split wherever the file or
    /// the file position breaks. Precondition: `rows` lies in `0..<rowCount`.
    func segments(rows: Range<Int>) -> [RowSegment] {
        precondition(rows.lowerBound >= 0 && rows.upperBound <= rowCount,
                     "rows \(rows) outside 0..<\(rowCount)")
        var result: [RowSegment] = []
        var next = rows.lowerBound
        var k = runIndex(containing: next)
        while next < rows.upperBound {
            let run = runs[k]
            let skip = next - run.row
            let count = min(run.count - skip, rows.upperBound - next)
            result.append(RowSegment(file: run.file, fileRow: run.fileRow + skip, row: next, count: count))
            next += count
            k += 1
        }
        return result
    }

    /// The index of the run holding `row` (binary search; `row` must be valid
    /// unless there are no rows at all).
    func runIndex(containing row: Int) -> Int {
        var low = 0
        var high = runs.count
        while high - low > 1 {
            let mid = (low + high) / 2
            if runs[mid].row <= row { low = mid } else { high = mid }
        }
        return low
    }
}
