/// Accuracy band: keep the problems the policy sometimes solves, most uncertain first.
///
/// A row is kept when low < p < high (strict: with the defaults 0 and 1 it drops the rows every
/// rollout solved or every rollout failed, whose group advantage is 0). Kept rows score
/// -|p - 1/2|, so higher is better and p = 1/2 ranks first; the top `budget` kept rows are
/// selected, ties to the lower row. Workers read `success` per row; there is no reduction.
public enum AccuracyBand {
    public static let name = "accuracy-band"
    public static let defaultLow = 0.0
    public static let defaultHigh = 1.0

    /// -|p - 1/2| for a kept row; nil for a row outside the open band (low, high).
    public static func score(success: Float, low: Double = defaultLow, high: Double = defaultHigh) -> Double? {
        let p = Double(success)
        guard low < p && p < high else { return nil }
        return 0 - abs(p - 0.5)  // +0, not -0, at p = 1/2
    }

    /// The top `budget` kept rows (non-nil scores) in rank order, ties to the lower row; fewer
    /// when fewer rows are kept.
    public static func select(scores: [Double?], budget: Int) -> [Int] {
        scores.withUnsafeBufferPointer { scores in Ranking.top(budget, count: scores.count) { scores[$0] } }
    }

    /// `select` straight from the success rates: the same rows in the same order, without an
    /// array of optional scores or of the kept rows (memory O(budget), not 32 bytes a row).
    public static func select(success: [Double], low: Double = defaultLow, high: Double = defaultHigh, budget: Int) -> [Int] {
        success.withUnsafeBufferPointer { success in
            Ranking.top(budget, count: success.count) { score(success: Float(success[$0]), low: low, high: high) }
        }
    }
}
