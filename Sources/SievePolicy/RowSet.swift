/// Rows of a workspace's B·T activation rows that a forward pass computes: `count` rows,
/// `first`, `first + stride`, … Training uses all rows (stride 1); decoding one new position
/// of every sequence uses stride T, so each layer still makes one GEMM call for the whole
/// batch instead of one per sequence.
struct RowSet {
    let first: Int
    let count: Int
    let stride: Int

    /// The row sets that together cover `positions` of every one of `batch` sequences of
    /// `length`: one set for everything, one per position when there are no more positions
    /// than sequences, else one per sequence.
    static func covering(positions: Range<Int>, batch: Int, length: Int) -> [RowSet] {
        if positions == 0..<length { return [RowSet(first: 0, count: batch * length, stride: 1)] }
        if positions.count <= batch {
            return positions.map { RowSet(first: $0, count: batch, stride: length) }
        }
        return (0..<batch).map { RowSet(first: $0 * length + positions.lowerBound, count: positions.count, stride: 1) }
    }

    /// The set as runs of adjacent rows (first row, row count), for the row-wise layers.
    var runs: [(first: Int, count: Int)] {
        stride == 1 ? [(first, count)] : (0..<count).map { (first + $0 * stride, 1) }
    }
}
