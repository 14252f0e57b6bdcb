/// What the policy says about one problem at one point of training: the inputs of the
/// selection methods (GradAlign, LearnAlign, LIMR, GAIN-RL).
public struct ProblemSignals: Sendable, Equatable {
    /// Mean reward of the G rollouts: the success rate p against the labelled answer.
    public var success: Float
    /// The G rollout rewards (0 or 1), in rollout order.
    public var rewards: [Float]
    /// The per-problem GRPO gradient (ascent direction), projected by `GradientProjection`.
    /// All zeros when every rollout got the same reward.
    public var projectedGradient: [Float]
    /// Euclidean norm of the full (unprojected) per-problem gradient.
    public var gradientNorm: Float
    /// C_intra + C_inter of the prompt's last-layer hidden states (see `AngleSignal`).
    public var angle: Float

    public init(success: Float, rewards: [Float], projectedGradient: [Float], gradientNorm: Float, angle: Float) {
        self.success = success
        self.rewards = rewards
        self.projectedGradient = projectedGradient
        self.gradientNorm = gradientNorm
        self.angle = angle
    }
}
