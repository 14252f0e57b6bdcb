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

    /// Whether `--budget` is the size of the curriculum by default (limr keeps rows by
    /// threshold unless a budget is given).
    public var budgetByDefault: Bool { self != .limr }
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
