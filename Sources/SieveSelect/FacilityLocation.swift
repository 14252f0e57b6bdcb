/// Facility location, the representativeness objective of `--diversity facility-location`:
///
///     f(S) = sum over y in C of max over x in S of max(0, cos(grad_x, grad_y))
///
/// f is monotone and submodular, so greedy (add the x with the largest gain until `budget`)
/// reaches at least (1 - 1/e) of the best f. Vectors come in as Float32 unit vectors
/// (`unitRows`), so a dot product is the cosine.
public enum FacilityLocation {
    public static let name = "facility-location"
    /// C holds `poolFactor * budget` rows of the scoring method's ranking (`--pool-factor`).
    public static let defaultPoolFactor = 4
    /// GreeDi's number of parts (`--partitions`). With the pool factor 4 the parts hold half a
    /// budget and return a quarter of one each (`partBudget`), so the union is twice the budget.
    public static let defaultPartitions = 8
    /// The most memory `greedy` spends on a similarity matrix (|C| x |C| Float32, columns
    /// rounded up to 32): 1.6 GB, enough for 20,000 candidates. Beyond it dot products are
    /// recomputed on every pass, which gives the same picks far more slowly.
    public static let defaultMatrixByteLimit = 1_600_000_000
    /// Stale entries lazy greedy refreshes at once (on every core) when the root is stale.
    static let refreshBatch = 8

    /// Lazy greedy over the ground set `rows` (f is evaluated over `rows` themselves).
    ///
    /// Returns `min(budget, rows.count)` picks in the order greedy took them and f(picks) over
    /// `rows`. Each round takes the candidate with the largest gain, ties to the lower row, which
    /// is exactly what plain greedy takes: stale gains are upper bounds (`LazyGainQueue`), and
    /// a candidate is taken only once its gain is fresh and still ranks first. Deterministic.
    ///
    /// Cost: |C|^2 x dimension multiply-adds to fill the similarity matrix (or the first gain
    /// pass without it), then one pass over C per gain evaluation; memory: a copy of the vectors
    /// and, when it fits in `matrixByteLimit`, the |C| x |C| Float32 matrix. The matrix changes
    /// the speed, never the result.
    /// - Parameters:
    ///   - rows: distinct row ids; the i-th owns the i-th vector.
    ///   - vectors: `rows.count` unit vectors of `dimension` Floats, row-major.
    ///   - matrixByteLimit: the most memory the similarity matrix may take (0: never build it).
    public static func greedy(rows: [Int], vectors: [Float], dimension: Int, budget: Int,
                              matrixByteLimit: Int = defaultMatrixByteLimit) -> (picks: [Int], value: Double) {
        let run = greedyWithCover(rows: rows, vectors: vectors, dimension: dimension, budget: budget, matrixByteLimit: matrixByteLimit)
        return (run.picks, run.value)
    }

    /// `greedy`, also returning the final cover: `cover[i]` = max(0, max over the picks x of
    /// <x, rows[i]>), the Float32 each ground row contributes to f. A row's cover is the same
    /// bits over any ground set holding it (`value(of:ground:...:known:)` reuses it).
    public static func greedyWithCover(rows: [Int], vectors: [Float], dimension: Int, budget: Int,
                                       matrixByteLimit: Int = defaultMatrixByteLimit) -> (picks: [Int], value: Double, cover: [Float]) {
        precondition(dimension > 0 && vectors.count == rows.count * dimension, "one vector of \(dimension) per row")
        precondition(Set(rows).count == rows.count, "rows must be distinct")
        let tiles = CoverageTiles(vectors: vectors, count: rows.count, dimension: dimension, matrixByteLimit: matrixByteLimit)
        var cover = tiles.emptyCover()
        var queue = LazyGainQueue(rows.indices.map {
            .init(bound: tiles.gain(of: $0, cover: cover), row: rows[$0], index: $0, round: 0)
        })
        var picks: [Int] = []
        var stale: [LazyGainQueue.Entry] = []
        for round in 0..<min(max(budget, 0), rows.count) {
            var top = queue.pop()
            while top.round != round {
                // Refresh the stale entries at the top of the queue together, up to
                // `refreshBatch` of them, on every core. Refreshing an entry plain lazy greedy
                // would have left stale changes no pick: every bound stays an upper bound, and a
                // fresh root still ranks ahead of every bound, so it is plain greedy's choice.
                stale.removeAll(keepingCapacity: true)
                stale.append(top)
                while stale.count < refreshBatch, !queue.isEmpty {
                    let next = queue.pop()
                    guard next.round != round else {
                        queue.push(next)
                        break
                    }
                    stale.append(next)
                }
                tiles.refresh(&stale, cover: cover, round: round)
                for entry in stale { queue.push(entry) }
                top = queue.pop()
            }
            picks.append(top.row)
            tiles.raise(&cover, by: top.index)
        }
        return (picks, tiles.total(cover), Array(cover[0..<rows.count]))
    }

    /// f(picks) over the ground set `rows`; every pick must be one of `rows`. Bit for bit the
    /// value `greedy` reports for the same picks and ground set. Costs |picks| x |rows| x
    /// dimension multiply-adds.
    /// The dot products run as one blocked matrix product on every core.
    ///
    /// `known`: rows whose cover by these picks is already known (GreeDi's second round knows it
    /// for every row of the union: `greedyWithCover`); only the other rows' covers are computed,
    /// |picks| x |others| x dimension multiply-adds. The result is the same bits either way:
    /// covers are added over `rows` in order in Float64 as `greedy` adds them.
    public static func value(of picks: [Int], ground rows: [Int], vectors: [Float], dimension: Int,
                             known: [Int: Float] = [:]) -> Double {
        precondition(dimension > 0 && vectors.count == rows.count * dimension, "one vector of \(dimension) per row")
        var position: [Int: Int] = [:]
        for (index, row) in rows.enumerated() { position[row] = index }
        for pick in picks where position[pick] == nil { preconditionFailure("pick \(pick) is not in the ground set") }
        // One blocked product: the picks' vectors against the rows whose cover is unknown.
        let others = rows.indices.filter { known[rows[$0]] == nil }
        func gather(_ indices: [Int]) -> [Float] {
            var out = [Float](repeating: 0, count: indices.count * dimension)
            for (i, index) in indices.enumerated() {
                out[(i * dimension)..<((i + 1) * dimension)] = vectors[(index * dimension)..<((index + 1) * dimension)]
            }
            return out
        }
        let tiles = CoverageTiles(vectors: gather(others), count: others.count, dimension: dimension, matrixByteLimit: 0)
        let cover = tiles.cover(byVectors: gather(picks.map { position[$0]! }), count: picks.count)
        var computed = [Float](repeating: 0, count: rows.count)
        for (i, index) in others.enumerated() { computed[index] = cover[i] }
        var sum = 0.0
        for (index, row) in rows.enumerated() { sum += Double(known[row] ?? computed[index]) }
        return sum
    }

    /// Each row of `vectors` (row-major, `dimension` wide) divided by its norm, taken in
    /// Float64; a zero row stays zero (it covers nothing and is covered by nothing).
    public static func unitRows(_ vectors: [Float], dimension: Int) -> [Float] {
        precondition(dimension > 0 && vectors.count % dimension == 0)
        var out = vectors
        for start in stride(from: 0, to: vectors.count, by: dimension) {
            var squaredNorm = 0.0
            for j in start..<(start + dimension) { squaredNorm += Double(vectors[j]) * Double(vectors[j]) }
            guard squaredNorm > 0 else { continue }
            let norm = squaredNorm.squareRoot()
            for j in start..<(start + dimension) { out[j] = Float(Double(vectors[j]) / norm) }
        }
        return out
    }
}
