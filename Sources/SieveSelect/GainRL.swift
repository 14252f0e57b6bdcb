/// GAIN-RL (arXiv 2506.02281): a curriculum that walks down a ranking by angle.
///
/// Rows are ranked by `angle`, highest first. Each epoch draws `budget` rows without
/// replacement with P(rank r) proportional to exp(-(r - mu)^2 / (2 sigma^2)); between epochs the
/// centre mu moves by clamp(n tanh(alpha (acc - beta)) + n tanh(alpha Cbar), 0, n_max), where
/// acc and Cbar are the mean success and the mean angle of the curriculum just drawn.
///
/// Nothing here is per shard beyond reading `angle` and `success`; the coordinator ranks, draws
/// and moves mu, all deterministically from the seed and the epoch.
public enum GainRL {
    public static let name = "gainrl"

    /// All rows, highest angle first, ties to the lower row. Angles must not be NaN.
    public static func rank(angles: [Double]) -> [Int] {
        angles.indices.sorted { Ranking.ranksAhead(angles[$0], $0, angles[$1], $1) }
    }

    /// The epoch's curriculum: `min(budget, ranked.count)` distinct rows of `ranked`, returned in
    /// rank order (best rank first). Rank order, not draw order, because the draw order carries
    /// no meaning (every subset has the probability of the weighted draw) and rank order is
    /// what the released sampler returns too.
    ///
    /// The draw is Efraimidis–Spirakis weighted sampling without replacement, which has the law
    /// of drawing one rank at a time with probability proportional to its weight among those not
    /// yet drawn. Rank r gets u_r, the r-th draw of the stream for (seed, epoch), mapped into
    /// (0, 1), and the key u_r^(1/w_r) with w_r = exp(-z_r), z_r = (r - mu)^2 / (2 sigma^2); the
    /// `budget` largest keys win. Keys are compared as t_r = log(-log u_r) + z_r, smallest
    /// first, which orders exactly as the keys do but never under- or overflows however far a
    /// rank lies from mu; equal t go to the lower rank. Float64 throughout, logs from
    /// `PortableMath`, so the result is the same on every machine.
    public static func sample(ranked: [Int], budget: Int, mu: Double, sigma: Double, seed: UInt64, epoch: Int) -> [Int] {
        precondition(sigma > 0 && sigma.isFinite && mu.isFinite, "GAIN-RL needs a finite mu and a positive sigma")
        let count = min(max(budget, 0), ranked.count)
        guard count > 0 else { return [] }
        var stream = SeedStream(seed: seed, epoch: epoch, purpose: SeedStream.gainRLPurpose)
        let scale = 2 * sigma * sigma
        var negatedKeys: [Double] = []
        negatedKeys.reserveCapacity(ranked.count)
        for r in ranked.indices {
            let exponential = -PortableMath.log(stream.nextOpenUnit())
            let offset = Double(r) - mu
            negatedKeys.append(-(PortableMath.log(exponential) + offset * offset / scale))
        }
        return Ranking.top(count, of: negatedKeys).sorted().map { ranked[$0] }
    }

    /// The curriculum's mean success (acc) and mean angle (Cbar), added in curriculum order in
    /// Float64; nil for an empty curriculum, after which mu stays where it is.
    public static func feedback(curriculum: [Int], success: [Float], angles: [Double]) -> (accuracy: Double, meanAngle: Double)? {
        guard !curriculum.isEmpty else { return nil }
        var accuracy = 0.0, angle = 0.0
        for row in curriculum {
            accuracy += Double(success[row])
            angle += angles[row]
        }
        let count = Double(curriculum.count)
        return (accuracy / count, angle / count)
    }

    /// clamp(n tanh(alpha (acc - beta)) + n tanh(alpha Cbar), 0, n_max): how far mu moves.
    /// With acc in [0, 1] and beta = 1/2 the accuracy term lies in [-n tanh(alpha/2), n tanh(alpha/2)].
    public static func shift(accuracy: Double, meanAngle: Double, parameters: GainRLParameters) -> Double {
        let p = parameters
        let move = p.n * PortableMath.tanh(p.alpha * (accuracy - p.beta)) + p.n * PortableMath.tanh(p.alpha * meanAngle)
        return min(max(move, 0), p.maxShift)
    }

    /// mu for the next epoch: mu + `shift(...)`. mu never decreases and may pass the last rank,
    /// after which the draws concentrate on the last ranks.
    public static func nextMu(_ mu: Double, accuracy: Double, meanAngle: Double, parameters: GainRLParameters) -> Double {
        mu + shift(accuracy: accuracy, meanAngle: meanAngle, parameters: parameters)
    }
}
