/// Uniform random selection, the baseline every method should beat: `budget` distinct rows,
/// each subset equally likely, reproducible from (seed, epoch) on any machine.
public enum RandomSelection {
    public static let name = "random"

    /// `min(budget, rowCount)` distinct rows in draw order, by a partial Fisher–Yates shuffle of
    /// 0..<rowCount: draw i swaps position i with a position drawn uniformly from i..<rowCount
    /// (`SeedStream`, purpose "random"). The first k rows drawn for budget b are the rows drawn
    /// for budget k, so a larger budget extends a smaller one.
    public static func sample(rowCount: Int, budget: Int, seed: UInt64, epoch: Int) -> [Int] {
        let count = min(max(budget, 0), max(rowCount, 0))
        guard count > 0 else { return [] }
        var stream = SeedStream(seed: seed, epoch: epoch, purpose: SeedStream.randomPurpose)
        var rows = Array(0..<rowCount)
        for i in 0..<count {
            let j = i + Int(stream.next(below: UInt64(rowCount - i)))
            rows.swapAt(i, j)
        }
        return Array(rows[0..<count])
    }
}
