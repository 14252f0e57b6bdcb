/// LIMR's Learning Impact Measurement (arXiv 2502.11886): how closely a problem's reward history
/// follows the pool's average learning curve.
///
/// From `rewards` [N, K] (a_i^k, row i's reward in training epoch k) and the epoch means
/// abar^k = (1/N) sum_i a_i^k:
///
///     score_i = 1 - sum_k (a_i^k - abar^k)^2 / sum_k (1 - abar^k)^2
///
/// The denominator is the squared distance of a perfect history (all 1) from the mean curve, so
/// a row scores 1 on the curve and 0 as far from it as a perfect row. Selection keeps rows with
/// score >= threshold (LIMR's released selection compares with >=), or the top `budget` rows.
///
/// Distributed in two phases: a worker adds its shard's rewards column-wise in row order in
/// Float64 (`addRewards`); the coordinator adds shard sums in shard order, divides by N (`mean`)
/// and checks the denominator (`denominator`); a worker scores each row (`score`).
public enum LIMR {
    public static let name = "limr"
    /// The threshold LIMR's released selection script runs with.
    public static let defaultThreshold = 0.6

    /// Adds the `rowCount` rows of `rewards` (row-major, `epochs` values a row) column-wise into
    /// `sum` (`epochs` values), row by row in order, in Float64.
    public static func addRewards(_ rewards: [Float], rowCount: Int, epochs: Int, into sum: inout [Double]) {
        precondition(epochs > 0 && rewards.count == rowCount * epochs && sum.count == epochs)
        for row in 0..<rowCount {
            for k in 0..<epochs {
                sum[k] += Double(rewards[row * epochs + k])
            }
        }
    }

    /// abar^k = sum^k / N.
    public static func mean(sum: [Double], rowCount: Int) -> [Double] {
        precondition(rowCount > 0, "LIMR needs at least one row")
        return sum.map { $0 / Double(rowCount) }
    }

    /// sum_k (1 - abar^k)^2. Throws when it is 0, which happens exactly when every epoch's mean
    /// reward is 1 (every row solved in every epoch): no row can then be told from the curve.
    public static func denominator(mean: [Double]) throws -> Double {
        precondition(!mean.isEmpty, "LIMR needs at least one epoch")
        var total = 0.0
        for value in mean {
            total += (1 - value) * (1 - value)
        }
        guard total.isFinite else {
            throw SelectionError(method: name, message: "the mean reward curve is not finite (\(mean)); rewards must be finite")
        }
        guard total > 0 else {
            throw SelectionError(method: name, message: "every epoch's mean reward is 1 (all \(mean.count) epochs solved by every row), so the normaliser sum_k (1 - abar^k)^2 is 0 and LIMR cannot score any row")
        }
        return total
    }

    /// score_i for one row's K rewards, summed over k in order in Float64.
    public static func score(rewards: ArraySlice<Float>, mean: [Double], denominator: Double) -> Double {
        1 - distance(rewards: rewards, mean: mean) / denominator
    }

    /// sum_k (a_i^k - abar^k)^2 for one row's K rewards, summed over k in order in Float64: the
    /// squared distance of the row's history from the mean curve.
    public static func distance(rewards: ArraySlice<Float>, mean: [Double]) -> Double {
        precondition(rewards.count == mean.count, "one reward per epoch")
        var distance = 0.0
        for (k, reward) in zip(mean.indices, rewards) {
            let difference = Double(reward) - mean[k]
            distance += difference * difference
        }
        return distance
    }

    /// Every row's score and distance from a whole `rewards` matrix [N, K] (row-major) in one
    /// process: the column sums in row order, then `mean`, `denominator`, and per row
    /// `distance` and 1 - distance / denominator. O(N K).
    public static func scores(rewards: [Float], rowCount: Int, epochs: Int) throws -> (scores: [Double], distances: [Double]) {
        var sum = [Double](repeating: 0, count: epochs)
        addRewards(rewards, rowCount: rowCount, epochs: epochs, into: &sum)
        let mean = self.mean(sum: sum, rowCount: rowCount)
        let denominator = try self.denominator(mean: mean)
        var scores = [Double](repeating: 0, count: rowCount), distances = [Double](repeating: 0, count: rowCount)
        for row in 0..<rowCount {
            let distance = self.distance(rewards: rewards[(row * epochs)..<((row + 1) * epochs)], mean: mean)
            distances[row] = distance
            scores[row] = 1 - distance / denominator
        }
        return (scores, distances)
    }

    /// The selected rows in rank order (score descending, ties to the lower row): with a budget,
    /// the top `budget` rows whatever their score; without one, every row with
    /// score >= `threshold`.
    public static func select(scores: [Double], threshold: Double, budget: Int?) -> [Int] {
        if let budget {
            return Ranking.top(budget, of: scores)
        }
        let kept = scores.indices.filter { scores[$0] >= threshold }
        return kept.sorted { Ranking.ranksAhead(scores[$0], $0, scores[$1], $1) }
    }
}
