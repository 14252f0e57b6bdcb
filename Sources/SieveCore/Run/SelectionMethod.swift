import SieveSelect
import SieveWire

/// The selection methods `--method` names, and what each needs from the pool and the cluster.
public enum SelectionMethod: String, CaseIterable, Sendable {
    case gradalign
    case learnalign
    case limr
    case gainrl
    case accuracyBand = "accuracy-band"
    case random

    /// The method's definition: everything the cluster needs of it (the registration).
    public var definition: any MethodDefinition {
        switch self {
        case .gradalign: return GradAlignMethod()
        case .learnalign: return LearnAlignMethod()
        case .limr: return LIMRMethod()
        case .gainrl: return GainRLMethod()
        case .accuracyBand: return AccuracyBandMethod()
        case .random: return RandomMethod()
        }
    }

    /// The per-row tensors of `signals/` the method reads; `validation` is checked separately.
    public var requiredTensors: [String] { definition.requiredTensors }

    public var needsValidation: Bool { definition.needsValidation }

    /// The wire phase of the reduction before scoring, if any.
    public var reduction: Phase? { definition.reduction?.phase }

    /// The score columns a worker sends (`MethodDefinition.scoreColumns`).
    public func scoreColumns(hasSuccess: Bool, gathersSuccess: Bool = false) -> [String] {
        definition.scoreColumns(hasSuccess: hasSuccess, gathersSuccess: gathersSuccess)
    }

    /// Every column list a worker may send in an epoch's score step; anything else is refused
    /// with the reason.
    public func acceptedScoreColumns(gathersSuccess: Bool) -> [[String]] {
        let lists = [false, true].map { scoreColumns(hasSuccess: $0, gathersSuccess: gathersSuccess) }
        return lists[0] == lists[1] ? [lists[0]] : lists
    }

    /// Whether `--budget` is the size of the curriculum by default (limr keeps rows by
    /// threshold unless a budget is given).
    public var budgetByDefault: Bool { definition.budgetByDefault }
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
