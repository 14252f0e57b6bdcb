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

    /// How many times the budget GreeDi's union may hold (see `partBudget`).
    public static let defaultUnionFactor = 2

    /// Round 1's picks from one part of `partSize` candidates, out of `parts` parts:
    /// min(partSize, budget, ceil(unionFactor x budget / parts)). The union then holds at most
    /// `unionFactor` x `budget` rows, so round 2 and the value over C cost a fixed multiple of
    /// the budget whatever the number of parts, and round 1 is greedy over parts of |C| / parts
    /// (the usual GreeDi gives every part the whole budget, and saves nothing when, as with
    /// `--pool-factor` 4 and 8 parts, the parts hold less than a budget each).
    public static func partBudget(budget: Int, partSize: Int, parts: Int, unionFactor: Int = defaultUnionFactor) -> Int {
        precondition(parts > 0 && unionFactor > 0)
        let share = (unionFactor * max(budget, 0) + parts - 1) / parts
        return max(0, min(partSize, budget, share))
    }

    /// The whole of GreeDi in one process, as the coordinator and workers do it between them:
    /// `partition`; `greedy` picks `partBudget` rows from each part with f over that part;
    /// `greedy` picks `budget` rows from the union of those picks (sorted by row) with f over the
    /// union. Returns the final picks in greedy order and f(picks) over all of `rows`.
    /// - Parameters: as `greedy`, plus `parts` (`--partitions`) and `unionFactor` (`partBudget`).
    public static func greeDi(rows: [Int], vectors: [Float], dimension: Int, budget: Int, parts: Int,
                              unionFactor: Int = defaultUnionFactor) -> (picks: [Int], value: Double) {
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
        let split = partition(candidates: rows, parts: parts)
        for part in split {
            let partBudget = partBudget(budget: budget, partSize: part.count, parts: split.count, unionFactor: unionFactor)
            union += greedy(rows: part, vectors: gather(part), dimension: dimension, budget: partBudget).picks
        }
        union.sort()
        let final = greedyWithCover(rows: union, vectors: gather(union), dimension: dimension, budget: budget)
        var known: [Int: Float] = [:]
        for (index, row) in union.enumerated() { known[row] = final.cover[index] }
        return (final.picks, value(of: final.picks, ground: rows, vectors: vectors, dimension: dimension, known: known))
    }
}
