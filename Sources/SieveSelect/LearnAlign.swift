import SieveKernels

/// LearnAlign's score (arXiv 2506.11480): gradient alignment weighted by learnability.
///
/// With V_i = p_i (1 - p_i) from the success rate p_i and unit(x) = x / |x| (0 for the zero
/// vector), the pool's direction is m = (1/N) sum_j V_j unit(grad_j) and
/// score_i = V_i <unit(grad_i), m>.
///
/// Distributed in two phases: a worker adds V_j unit(grad_j) over its shard in row order in
/// Float64 (`addWeightedUnitRows`); the coordinator adds the shard sums in shard order into the
/// unnormalised m_sum = N m; a worker then scores each row from <grad_i, m_sum> and |grad_i|^2
/// (`RowKernels.dotAndSquaredNorm` against m_sum as Float32) with `score`.
public enum LearnAlign {
    public static let name = "learnalign"

    /// V = p (1 - p): 1/4 at p = 1/2, 0 when every rollout scored the same (p = 0 or 1).
    public static func weight(success: Float) -> Double {
        let p = Double(success)
        return p * (1 - p)
    }

    /// Adds V_j unit(grad_j) for the `count` rows at `rows` into `sum`, row by row in order in
    /// Float64, where V_j = `weight(success: success[j])`. Returns the index (within this call) of
    /// the first row holding a NaN or infinity, or with a non-finite weight, or nil. That row
    /// and the rows after it are not added.
    public static func addWeightedUnitRows(_ rows: UnsafeRawPointer, count: Int, dimension: Int, type: ElementType,
                                           success: [Float], into sum: UnsafeMutableBufferPointer<Double>) -> Int? {
        precondition(success.count == count, "one success rate per row")
        return RowKernels.addScaledUnitRows(rows, count: count, dimension: dimension, type: type,
                                            scales: success.map(weight(success:)), into: sum)
    }

    /// score_i = V_i <unit(grad_i), m> with m = m_sum / N, exactly the paper's quantity (the
    /// division by N changes no ranking, but scores.jsonl reports the value the paper defines):
    ///
    ///     score_i = weight * dot / (sqrt(squaredNorm) * rowCount)
    ///
    /// and exactly 0 when the weight is 0 or grad_i is the zero vector.
    /// - Parameters:
    ///   - dot: <grad_i, m_sum>, where m_sum = sum_j V_j unit(grad_j) is NOT divided by N.
    ///   - squaredNorm: |grad_i|^2.
    ///   - weight: V_i = `weight(success: p_i)`.
    ///   - rowCount: N, the number of rows in m_sum (> 0).
    public static func score(dot: Double, squaredNorm: Double, weight: Double, rowCount: Int) -> Double {
        precondition(rowCount > 0, "LearnAlign needs at least one row")
        guard weight != 0, squaredNorm > 0 else { return 0 }
        return weight * dot / (squaredNorm.squareRoot() * Double(rowCount))
    }
}
