/// GreeDi (Mirzasoleiman et al., NeurIPS 2013): greedy in parts, then greedy over the union of
/// the parts' picks, so no single machine needs all of C at once.
extension FacilityLocation {
    /// Splits C into `min(parts, candidates.count)` parts: sort the candidates by row and deal
    /// them round robin, the i-th smallest row to part i % parts. Each part comes back sorted by
    /// row and sizes differ by at most one. The parts depend only on the candidate set and
    /// `parts` (`--partitions`), never on how many workers there are, so the curriculum does
    /// not either.
    public static func partition(candidates: [Int], parts: Int) -> [[Int]] {
        precondition(parts > 0, "GreeDi needs at least one part")
        let count = min(parts, candidates.count)
        var result = [[Int]](repeating: [], count: count)
        for (i, row) in candidates.sorted().enumerated() {
            result[i % count].append(row)
        }
        return result
    }

    /// The whole of GreeDi in one process, as the coordinator and workers do it between them:
    /// `partition`; `greedy` picks `budget` rows from each part with f over that part; `greedy`
    /// picks `budget` rows from the union of those picks (sorted by row) with f over the union.
    /// Returns the final picks in greedy order and f(picks) over all of `rows`.
    /// - Parameters: as `greedy`, plus `parts` (`--partitions`).
    public static func greeDi(rows: [Int], vectors: [Float], dimension: Int, budget: Int, parts: Int) -> (picks: [Int], value: Double) {
        precondition(dimension > 0 && vectors.count == rows.count * dimension, "one vector of \(dimension) per row")
        var position: [Int: Int] = [:]
        for (index, row) in rows.enumerated() { position[row] = index }
        func gather(_ subset: [Int]) -> [Float] {
            var out: [Float] = []
            out.reserveCapacity(subset.count * dimension)
            for row in subset {
                let start = position[row]! * dimension
                out.append(contentsOf: vectors[start..<(start + dimension)])
            }
            return out
        }
        var union: [Int] = []
        for part in partition(candidates: rows, parts: parts) {
            union += greedy(rows: part, vectors: gather(part), dimension: dimension, budget: budget).picks
        }
        union.sort()
        let picks = greedy(rows: union, vectors: gather(union), dimension: dimension, budget: budget).picks
        return (picks, value(of: picks, ground: rows, vectors: vectors, dimension: dimension))
    }
}
