/// The random model behind `PoolGenerator`: synthetic, but with structure
/// that the selection methods can find.
///
/// There are `clusters` unit directions in R^d. Row i belongs to cluster c
/// and has gradient `scale_i · (center_c + noise_i · g / √d)` with g a
/// standard normal vector (so the noise term has norm ≈ noise_i); ~1% of
/// rows have a zero gradient. Success rates follow a per-cluster difficulty
/// plus noise, with ~10% exactly 0 and ~10% exactly 1; the K-epoch reward
/// history trends from a lower start toward the final rate; the angle is a
/// per-cluster level plus noise, in [0, 1]. Validation rows come only from
/// the first quarter of the clusters (the "trusted" ones), with less noise,
/// so gradient alignment with the validation set carries real signal.
///
/// Every row draws from its own seeded stream, so any row can be generated
/// alone and the output depends only on the seed and parameters.
struct SyntheticPoolModel {
    let dimension: Int
    let clusters: Int
    let rewardEpochs: Int
    private let seed: UInt64
    private let centers: [Double]        // clusters × dimension, unit rows
    private let difficulty: [Double]     // per-cluster success level
    private let angleLevel: [Double]
    private let noiseLevel: [Double]

    private enum Stream: UInt64 {
        case clusters = 1, trainingSignals, trainingGrad, validationRow
    }

    init(seed: UInt64, dimension: Int, clusters: Int, rewardEpochs: Int) {
        self.seed = seed
        self.dimension = dimension
        self.clusters = clusters
        self.rewardEpochs = rewardEpochs
        var sampler = NormalSampler(Xoshiro256StarStar(seed: seed, stream: Stream.clusters.rawValue, index: 0))
        var centers: [Double] = []
        centers.reserveCapacity(clusters * dimension)
        var difficulty: [Double] = [], angleLevel: [Double] = [], noiseLevel: [Double] = []
        for _ in 0..<clusters {
            let direction = (0..<dimension).map { _ in sampler.next() }
            let norm = direction.reduce(0) { $0 + $1 * $1 }.squareRoot()
            centers += direction.map { norm > 0 ? $0 / norm : 0 }
            difficulty.append(0.15 + 0.7 * sampler.nextUnit())
            angleLevel.append(0.1 + 0.8 * sampler.nextUnit())
            noiseLevel.append(0.3 + 0.9 * sampler.nextUnit())
        }
        self.centers = centers
        self.difficulty = difficulty
        self.angleLevel = angleLevel
        self.noiseLevel = noiseLevel
    }

    /// The clusters validation rows are drawn from.
    var trustedClusters: Int { max(1, clusters / 4) }

    /// The signals of training row `row`.
    func trainingRow(_ row: Int) -> SyntheticRow {
        var s = NormalSampler(Xoshiro256StarStar(seed: seed, stream: Stream.trainingSignals.rawValue, index: UInt64(row)))
        let cluster = s.nextInt(below: clusters)
        let zeroGrad = s.nextUnit() < 0.01
        let scale = 0.2 + 1.8 * s.nextUnit()
        let noise = noiseLevel[cluster] * (0.5 + s.nextUnit())
        let draw = s.nextUnit()
        let success: Double = draw < 0.1 ? 0 : draw < 0.2 ? 1 : clamp(difficulty[cluster] + 0.12 * s.next(), 0.02, 0.98)
        let start = success * (0.2 + 0.5 * s.nextUnit())
        let rewards = (0..<rewardEpochs).map { k -> Float in
            let t = Double(k + 1) / Double(rewardEpochs)
            return Float(clamp(start + (success - start) * t + 0.05 * (1 - t) * s.next(), 0, 1))
        }
        let angle = clamp(angleLevel[cluster] + 0.08 * s.next(), 0, 1)
        return SyntheticRow(cluster: cluster, zeroGrad: zeroGrad, scale: scale, noise: noise,
                            success: Float(success), rewards: rewards, angle: Float(angle))
    }

    /// Writes training row `row`'s gradient (d values) into `out`.
    func trainingGrad(_ row: Int, _ signals: SyntheticRow, into out: UnsafeMutableBufferPointer<Float>) {
        guard !signals.zeroGrad else {
            out.update(repeating: 0)
            return
        }
        var s = NormalSampler(Xoshiro256StarStar(seed: seed, stream: Stream.trainingGrad.rawValue, index: UInt64(row)))
        fillGrad(cluster: signals.cluster, scale: signals.scale, noise: signals.noise, sampler: &s, into: out)
    }

    /// Writes validation row `row`'s gradient (d values) into `out`.
    func validationGrad(_ row: Int, into out: UnsafeMutableBufferPointer<Float>) {
        var s = NormalSampler(Xoshiro256StarStar(seed: seed, stream: Stream.validationRow.rawValue, index: UInt64(row)))
        let cluster = s.nextInt(below: trustedClusters)
        let scale = 0.5 + s.nextUnit()
        let noise = 0.5 * noiseLevel[cluster]
        fillGrad(cluster: cluster, scale: scale, noise: noise, sampler: &s, into: out)
    }

    private func fillGrad(cluster: Int, scale: Double, noise: Double, sampler: inout NormalSampler,
                          into out: UnsafeMutableBufferPointer<Float>) {
        precondition(out.count == dimension, "gradient buffer must hold d values")
        let noiseScale = noise / Double(dimension).squareRoot()
        let base = cluster * dimension
        for j in 0..<dimension {
            out[j] = Float(scale * (centers[base + j] + noiseScale * sampler.next()))
        }
    }

    private func clamp(_ x: Double, _ low: Double, _ high: Double) -> Double {
        min(max(x, low), high)
    }
}
