/// Builds a `RowIndex` from the `row` tensors of the signals files while
/// checking that they cover every row exactly once.
///
/// Checks, in order, giving the first failure: every value is in range
/// (negative values, or values ≥ N when N is known from `samples.jsonl`);
/// no row appears twice (naming both places); no row is missing (naming the
/// first missing row and how many are missing). A bit set of N bits tracks
/// coverage, so memory is N/8 bytes.
struct RowCoverage {
    private let files: [SafetensorsFile]
    private let directory: String
    private var runs: [RowSegment] = []
    private var covered: [UInt64] = []

    /// Builds the index. `expectedRows` is the `samples.jsonl` line count, or
    /// nil to take N as the largest row + 1.
    static func buildIndex(files: [SafetensorsFile], rowsPerFile: [Int], expectedRows: Int?, signalsDirectory: String) throws -> RowIndex {
        var coverage = RowCoverage(files: files, directory: signalsDirectory)
        let total = rowsPerFile.reduce(0, +)
        let rowCount = try expectedRows ?? coverage.inferRowCount(total: total)
        coverage.covered = [UInt64](repeating: 0, count: (rowCount + 63) / 64)
        for file in files.indices {
            try coverage.scan(file: file, rowCount: rowCount, expectedRows: expectedRows, total: total)
            // The row tensors (8 bytes a row) are read once; their pages leave the resident set.
            MemoryMappedFile.release(coverage.rowValues(file))
        }
        try coverage.requireNoneMissing(rowCount: rowCount, total: total, expectedRows: expectedRows)
        let sorted = coverage.runs.sorted { $0.row < $1.row }
        return RowIndex(sortedRuns: sorted, rowCount: rowCount)
    }

    private init(files: [SafetensorsFile], directory: String) {
        self.files = files
        self.directory = directory
    }

    private func rowValues(_ file: Int) -> UnsafeRawBufferPointer {
        files[file].bytes(files[file].tensors[PoolTensor.row]!)
    }

    /// Without `samples.jsonl`, N is the largest row + 1. Rejects negative
    /// values, and values so far beyond the row total that a bit set for
    /// them would be absurd (they cannot be a complete cover anyway).
    private func inferRowCount(total: Int) throws -> Int {
        var maximum = -1
        var where_ = (file: 0, position: 0)
        for file in files.indices {
            let values = rowValues(file)
            for position in 0..<(values.count / 8) {
                let value = FloatBytes.loadInt64(values, position)
                if value < 0 { throw outOfRange(file, position, value, "is negative") }
                if value > maximum { maximum = Int(value); where_ = (file, position) }
            }
        }
        if maximum >= total &+ max(total, 1 << 20) {
            throw outOfRange(where_.file, where_.position, Int64(maximum), "is far beyond the \(total) rows the signals files hold")
        }
        return maximum + 1
    }

    /// Marks one file's rows and appends its runs.
    private mutating func scan(file: Int, rowCount: Int, expectedRows: Int?, total: Int) throws {
        let values = rowValues(file)
        var run: RowSegment?
        for position in 0..<(values.count / 8) {
            let value = FloatBytes.loadInt64(values, position)
            guard value >= 0, value < rowCount else {
                let bound = expectedRows.map { "outside 0..<\($0): samples.jsonl has \($0) lines and the signals files hold \(total) rows" }
                throw outOfRange(file, position, value, value < 0 ? "is negative" : (bound ?? "is out of range"))
            }
            let row = Int(value)
            let (word, bit) = (row >> 6, UInt64(1) << UInt64(row & 63))
            if covered[word] & bit != 0 { throw coveredTwice(row, file: file, position: position, pending: run) }
            covered[word] |= bit
            if let current = run, current.row + current.count == row {
                run = RowSegment(file: file, fileRow: current.fileRow, row: current.row, count: current.count + 1)
            } else {
                if let current = run { runs.append(current) }
                run = RowSegment(file: file, fileRow: position, row: row, count: 1)
            }
        }
        if let current = run { runs.append(current) }
    }

    private func requireNoneMissing(rowCount: Int, total: Int, expectedRows: Int?) throws {
        var missing = 0
        var first: Int?
        for (w, word) in covered.enumerated() where word != UInt64.max {
            let valid = min(64, rowCount - w * 64)
            let mask: UInt64 = valid == 64 ? .max : (UInt64(1) << UInt64(valid)) - 1
            let holes = ~word & mask
            if holes == 0 { continue }
            missing += holes.nonzeroBitCount
            if first == nil { first = w * 64 + holes.trailingZeroBitCount }
        }
        guard let first else { return }
        let counts = expectedRows.map { "; samples.jsonl has \($0) lines and the signals files hold \(total) rows" } ?? ""
        throw DataError(file: directory, row: first, field: PoolTensor.row,
                        message: "\(missing) of \(rowCount) rows are not covered by any signals file; the first missing row is \(first)\(counts)")
    }

    private func outOfRange(_ file: Int, _ position: Int, _ value: Int64, _ why: String) -> DataError {
        DataError(file: files[file].path, field: PoolTensor.row, message: "value \(value) at position \(position) \(why)")
    }

    /// Finds where `row` was first covered (runs so far, or the run being
    /// built) to name both places.
    private func coveredTwice(_ row: Int, file: Int, position: Int, pending: RowSegment?) -> DataError {
        let earlier = (runs + (pending.map { [$0] } ?? [])).first { $0.rows.contains(row) }
        let place = earlier.map { "position \($0.fileRow + row - $0.row) of \(files[$0.file].path)" } ?? "an earlier position"
        return DataError(file: files[file].path, row: row, field: PoolTensor.row,
                         message: "row \(row) is covered twice: at \(place) and at position \(position) of \(files[file].path)")
    }
}
