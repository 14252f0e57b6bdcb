/// GradAlign's score (arXiv 2602.21492): how well a problem's policy gradient points along the
/// summed gradient of a trusted validation set.
///
/// score_i = cos(grad_i, g_val), and 0 where grad_i is the zero vector, or where the pool has
/// success rates and p_i is 0 or 1 (every rollout got the same reward, so the group advantage and
/// with it the policy gradient vanish).
public enum GradAlign {
    public static let name = "gradalign"

    public struct RowScore: Equatable, Sendable {
        public var score: Double
        public var cosine: Double
        public var gradNorm: Double
    }

    /// - Parameters:
    ///   - dot: <grad_i, g_val>; squaredNorm: |grad_i|^2; referenceNorm: |g_val| (> 0).
    ///   - success: p_i when the pool has it.
    public static func score(dot: Double, squaredNorm: Double, referenceNorm: Double, success: Float?) -> RowScore {
        let gradNorm = squaredNorm.squareRoot()
        let cosine = gradNorm > 0 && referenceNorm > 0 ? dot / (gradNorm * referenceNorm) : 0
        if let success, success <= 0 || success >= 1 {
            return RowScore(score: 0, cosine: cosine, gradNorm: gradNorm)
        }
        return RowScore(score: cosine, cosine: cosine, gradNorm: gradNorm)
    }
}
