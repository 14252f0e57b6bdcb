/// How GAIN-RL moves its sampling centre between epochs and how widely it samples around it.
/// The defaults are the paper's and its released sampler's.
public struct GainRLParameters: Equatable, Sendable {
    /// n: the largest move, in ranks, that each tanh term can contribute (`--gainrl-n`).
    public var n: Double
    /// alpha: how steeply the tanh terms respond (`--gainrl-alpha`).
    public var alpha: Double
    /// beta: the accuracy at which the accuracy term is 0 (`--gainrl-beta`).
    public var beta: Double
    /// sigma: the width, in ranks, of the Gaussian around the centre (`--gainrl-sigma`).
    public var sigma: Double
    /// n_max: the largest move of the centre in one epoch (`--gainrl-max-shift`).
    public var maxShift: Double

    public init(n: Double = 500, alpha: Double = 2, beta: Double = 0.5, sigma: Double = 1000, maxShift: Double = 1000) {
        self.n = n
        self.alpha = alpha
        self.beta = beta
        self.sigma = sigma
        self.maxShift = maxShift
    }
}
