import SieveSelect

/// The selection methods `--method` names, and what each needs from the pool and the cluster.
public enum SelectionMethod: String, CaseIterable, Sendable {
    case gradalign
    case learnalign
    case limr
    case gainrl
    case accuracyBand = "accuracy-band"
    case random

    /// The per-row tensors of `signals/` the method reads; `validation` is checked separately.
    public var requiredTensors: [String] {
        switch self {
        case .gradalign: return ["grad"]
        case .learnalign: return ["grad", "success"]
        case .limr: return ["rewards"]
        case .gainrl: return ["angle", "success"]
        case .accuracyBand: return ["success"]
        case .random: return []
        }
    }

    public var needsValidation: Bool { self == .gradalign }

    /// The reduction before scoring: which rows workers sum, if any.
    var reduction: Phase? {
        switch self {
        case .gradalign: return .validationSum
        case .learnalign, .limr: return .trainingSum
        case .gainrl, .accuracyBand, .random: return nil
        }
    }

    /// Whether workers score rows at all (random needs nothing from them).
    var scoresRows: Bool { self != .random }

    /// The score columns a worker sends for this method, in order: one definition for the
    /// worker that writes them (`RowScorer`) and the coordinator that checks them on arrival.
    /// - Parameters:
    ///   - hasSuccess: the pool has a `success` tensor (gradalign reports it when it does).
    ///   - gathersSuccess: limr without rewards, whose score step returns each row's success.
    public func scoreColumns(hasSuccess: Bool, gathersSuccess: Bool = false) -> [String] {
        switch self {
        case .gradalign: return ["score", "cosine", "grad_norm"] + (hasSuccess ? ["success"] : [])
        case .learnalign: return ["score", "learnability", "alignment", "grad_norm", "success"]
        case .limr: return gathersSuccess ? ["success"] : ["score", "distance"]
        case .gainrl: return ["score", "angle", "success"]
        case .accuracyBand: return ["score", "success"]
        case .random: return ["score"]
        }
    }

    /// Every column list a worker may send in an epoch's score step (`gathersSuccess` as in
    /// `scoreColumns`); anything else is refused with the reason.
    func acceptedScoreColumns(gathersSuccess: Bool) -> [[String]] {
        let lists = [false, true].map { scoreColumns(hasSuccess: $0, gathersSuccess: gathersSuccess) }
        return lists[0] == lists[1] ? [lists[0]] : lists
    }

    /// Whether `--budget` is the size of the curriculum by default (limr keeps rows by
    /// threshold unless a budget is given).
    public var budgetByDefault: Bool { self != .limr }
}

/// gradalign's ranking score, as the released code's modes name them. Computed by the
/// coordinator from the columns workers send (`score`, `cosine`, `grad_norm`, `success`), so the
/// wire and the workers' arithmetic are the same for all three.
public enum GradAlignScore: String, CaseIterable, Sendable {
    /// cos(grad_i, g_val), 0 where grad_i = 0 or p_i is 0 or 1 (the paper's default).
    case sim
    /// <grad_i, g_val> / |g_val| = cos x |grad_i| (same exclusions): favours large gradients.
    case dot
    /// 4 p_i (1 - p_i) cos(grad_i, g_val): alignment weighted by learnability.
    case simacc

    /// The scores of every row from the gradalign columns; nil when a needed column is missing.
    public func scores(column: (String) -> [Double]?) -> [Double]? {
        guard let score = column("score") else { return nil }
        switch self {
        case .sim:
            return score
        case .dot:
            guard let norm = column("grad_norm") else { return nil }
            return zip(score, norm).map { $0 * $1 }
        case .simacc:
            guard let success = column("success"), let cosine = column("cosine") else { return nil }
            return zip(success, cosine).map { 4 * $0 * (1 - $0) * $1 }
        }
    }
}

/// The parameters of the methods and of the representativeness step, as the flags give them.
public struct MethodParameters: Sendable, Equatable {
    /// Curriculum size; nil only for limr, which then keeps rows by `threshold`.
    public var budget: Int?
    public var threshold: Double
    public var seed: UInt64
    public var low: Double
    public var high: Double
    public var gainrl: GainRLParameters
    public var diversity: Bool
    public var poolFactor: Int
    public var partitions: Int
    /// limr without a `rewards` tensor (live runs, followed epochs that carry none): the epochs
    /// of success history it needs before it scores; the epochs before run random's draw.
    public var limrHistoryEpochs: Int
    /// gradalign's ranking score (`--gradalign-score`).
    public var gradalignScore: GradAlignScore = .sim

    public init(budget: Int?, threshold: Double = 0.6, seed: UInt64 = 1, low: Double = 0, high: Double = 1,
                gainrl: GainRLParameters = GainRLParameters(), diversity: Bool = false, poolFactor: Int = 4,
                partitions: Int = 8, limrHistoryEpochs: Int = 2) {
        self.budget = budget
        self.threshold = threshold
        self.seed = seed
        self.low = low
        self.high = high
        self.gainrl = gainrl
        self.diversity = diversity
        self.poolFactor = poolFactor
        self.partitions = partitions
        self.limrHistoryEpochs = limrHistoryEpochs
    }
}

import SieveWire
