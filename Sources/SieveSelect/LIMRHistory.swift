/// LIMR for data that carries no `rewards` tensor: the run builds the reward history itself.
///
/// Each epoch contributes one column, every row's `success` of that epoch (the share of its
/// rollouts that scored with that epoch's policy), so after k epochs the history is the
/// [N, k] matrix `LIMR` reads as `rewards`. Epoch e is scored from the epochs recorded
/// before it, never from its own column. While fewer than `minimumEpochs` (the run's
/// `--limr-history-epochs`, H) are recorded, limr cannot score yet and the epoch's curriculum is
/// random's draw for (seed, e): the LIMR paper likewise trains on the full data first and
/// measures the learning curve on the way. From epoch H + 1 on the curriculum is limr's.
///
/// Pure and O(N k) per epoch: the column sums run over the rows in row order in Float64, so the
/// outcome depends only on the recorded values, never on how they were gathered.
public struct LIMRHistory: Sendable, Equatable {
    public let rowCount: Int
    /// Epoch -> every row's success in that epoch.
    public private(set) var columns: [Int: [Float]] = [:]

    public init(rowCount: Int) {
        self.rowCount = rowCount
    }

    /// The recorded epochs, ascending.
    public var epochs: [Int] { columns.keys.sorted() }

    /// Records `epoch`'s success of every row (replacing an earlier record of that epoch).
    public mutating func record(epoch: Int, success: [Float]) {
        precondition(success.count == rowCount, "one success value per row")
        columns[epoch] = success
    }

    /// The recorded epochs before `epoch`, ascending: the history `epoch` is scored from.
    public func epochs(before epoch: Int) -> [Int] {
        epochs.filter { $0 < epoch }
    }

    /// The history before `epoch` as LIMR's `rewards`: [N, K] row-major, column k the k-th
    /// recorded epoch before it.
    public func rewards(before epoch: Int) -> (values: [Float], epochs: Int) {
        let used = epochs(before: epoch).map { columns[$0]! }
        let k = used.count
        var values = [Float](repeating: 0, count: rowCount * k)
        for (column, success) in used.enumerated() {
            for row in 0..<rowCount { values[row * k + column] = success[row] }
        }
        return (values, k)
    }

    /// An epoch's selection and, once limr scores, every row's score and distance.
    public struct Selection: Sendable, Equatable {
        /// The curriculum in order: random's draw order in a warm-up epoch, rank order after.
        public var rows: [Int]
        /// The epochs of history the scores came from (empty in a warm-up epoch).
        public var historyEpochs: [Int]
        /// limr's score of every row; nil in a warm-up epoch.
        public var scores: [Double]?
        /// sum_k (a_i^k - abar^k)^2 of every row; nil in a warm-up epoch.
        public var distances: [Double]?

        public var isWarmUp: Bool { scores == nil }
    }

    /// The selection of `epoch`. With fewer than `minimumEpochs` recorded epochs before it:
    /// exactly `RandomSelection.sample(rowCount:budget:seed:epoch:)`, of `budget` rows, or of
    /// every row (in random order) without a budget, as LIMR trains on the full data first.
    /// Otherwise LIMR over those epochs (`LIMR.scores`), selected by `LIMR.select`: the top
    /// `budget` rows, or every row with score >= `threshold` without a budget. Throws when every
    /// epoch's mean success is 1 (`LIMR.denominator`).
    public func select(epoch: Int, minimumEpochs: Int, threshold: Double, budget: Int?,
                       seed: UInt64) throws -> Selection {
        let (rewards, k) = self.rewards(before: epoch)
        guard k >= max(minimumEpochs, 1) else {
            let rows = RandomSelection.sample(rowCount: rowCount, budget: budget ?? rowCount, seed: seed, epoch: epoch)
            return Selection(rows: rows, historyEpochs: [], scores: nil, distances: nil)
        }
        let (scores, distances) = try LIMR.scores(rewards: rewards, rowCount: rowCount, epochs: k)
        return Selection(rows: LIMR.select(scores: scores, threshold: threshold, budget: budget),
                         historyEpochs: epochs(before: epoch), scores: scores, distances: distances)
    }
}
