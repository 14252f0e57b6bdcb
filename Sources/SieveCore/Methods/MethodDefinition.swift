import SieveSelect
import SieveWire

/// Everything the cluster needs of one selection method, in one place: the signals it reads,
/// the reduction before scoring, the score columns a worker sends (fixed names, checked on
/// arrival), each row's values of those columns, the selection over the gathered table and the
/// feedback it carries between epochs. Adding a method is one type conforming to this and its
/// case in `SelectionMethod` (the registration).
///
/// Every function here is pure: the worker's shell reads the signals a method declares
/// (`rowSignals`) and hands them over as arrays; the coordinator's core hands over the table.
public protocol MethodDefinition: Sendable {
    /// The per-row tensors of `signals/` the method reads; `validation` is checked separately.
    var requiredTensors: [String] { get }
    /// Whether the pool must carry validation gradients (gradalign's reference).
    var needsValidation: Bool { get }
    /// The reduction before scoring, if any: which rows workers sum into the epoch's reference.
    var reduction: Reduction? { get }
    /// Whether workers score rows at all (random needs nothing from them).
    var scoresRows: Bool { get }
    /// Whether `--budget` is the curriculum's size by default (limr keeps rows by threshold).
    var budgetByDefault: Bool { get }
    /// Whether run.json reports |reference| (the methods that align gradients with it).
    var reportsReferenceNorm: Bool { get }
    /// Whether the epoch's draw uses, and run.json reports, GAIN-RL's centre mu.
    var usesMu: Bool { get }

    /// The score columns a worker sends, in order; column 0 is always `score`.
    /// - Parameters:
    ///   - hasSuccess: the pool has a `success` tensor.
    ///   - gathersSuccess: the epoch has no reward history (limr keeps it on the coordinator),
    ///     so the score step returns each row's success instead of a score.
    func scoreColumns(hasSuccess: Bool, gathersSuccess: Bool) -> [String]

    /// The signals a worker reads for each row of a shard it scores.
    func rowSignals(hasSuccess: Bool, gathersSuccess: Bool) -> Set<RowSignal>

    /// Worker: appends each row's values of `scoreColumns`, row after row.
    func score(_ signals: RowSignals, _ context: ScoringContext, into values: inout [Double]) throws

    /// Whether, without a `rewards` tensor, the coordinator keeps the reward history itself
    /// from each epoch's success (limr); the score step then gathers success.
    var keepsHistory: Bool { get }

    /// Coordinator: checks the reduced reference before it goes out (throws the reason it is
    /// unusable); returns lines to log.
    func checkReference(_ total: [Double], rows: Int, live: Bool) throws -> [(LogLevel, String)]

    /// Coordinator: the selection over the epoch's gathered table.
    func select(_ table: ScoreTable, _ context: SelectionContext, state: inout MethodState) throws -> MethodSelection

    /// Coordinator: what the epoch's curriculum teaches the next epoch's selection (GAIN-RL's
    /// mu); returns a line to log, or nil when there is no feedback.
    func feedback(curriculum: [Int], table: ScoreTable, parameters: MethodParameters, state: inout MethodState) -> String?
}

extension MethodDefinition {
    public var needsValidation: Bool { false }
    public var reduction: Reduction? { nil }
    public var scoresRows: Bool { true }
    public var budgetByDefault: Bool { true }
    public var reportsReferenceNorm: Bool { false }
    public var usesMu: Bool { false }
    public var keepsHistory: Bool { false }
    public func checkReference(_ total: [Double], rows: Int, live: Bool) throws -> [(LogLevel, String)] { [] }
    public func feedback(curriculum: [Int], table: ScoreTable, parameters: MethodParameters, state: inout MethodState) -> String? { nil }
}

/// The reduction before the score step, and what workers add up in it.
public enum Reduction: Sendable, Equatable {
    /// The validation rows' gradients, each row as stored (gradalign's g_val).
    case validationGradients
    /// Each training row's unit gradient weighted by p(1 - p) (learnalign).
    case weightedUnitGradients
    /// Each training row's reward history (limr's column sums).
    case rewardHistories

    /// The wire phase of the reduction's assignments.
    public var phase: Phase { self == .validationGradients ? .validationSum : .trainingSum }
}

/// A per-row signal a worker reads for scoring.
public enum RowSignal: Sendable, Hashable {
    /// <grad_i, reference> and |grad_i|^2, in one fused pass per row (the kernel's arithmetic).
    case gradientAgainstReference
    /// `success`, a rate in [0, 1].
    case success
    /// `success` read on its own: a live source then skips computing the gradients.
    case successAlone
    /// `angle`, finite.
    case angle
    /// `rewards`, K rates in [0, 1] per row.
    case rewards
}

/// One run of rows' signals, as the worker's shell read and checked them; the arrays a method
/// did not ask for are empty.
public struct RowSignals: Sendable {
    public var count: Int
    public var dots: [Double] = []
    public var squaredNorms: [Double] = []
    public var success: [Float] = []
    public var angles: [Float] = []
    /// K per row, row-major.
    public var rewards: [Float] = []
    public var rewardEpochs = 0

    public init(count: Int) { self.count = count }
}

/// What a worker's scoring needs besides the rows: the epoch's reference and the pool's size.
public struct ScoringContext: Sendable {
    public var reference: ReferenceVector?
    /// N, the rows of the whole pool.
    public var poolRows: Int
    public var gathersSuccess: Bool
    public init(reference: ReferenceVector?, poolRows: Int, gathersSuccess: Bool) {
        self.reference = reference
        self.poolRows = poolRows
        self.gathersSuccess = gathersSuccess
    }
}

/// What a selection knows besides the table.
public struct SelectionContext: Sendable {
    public var parameters: MethodParameters
    /// Rows wanted: the curriculum's size, or the candidates' when GreeDi follows; nil only
    /// for limr without a budget.
    public var budget: Int?
    public var epoch: Int
    public var rows: Int
    /// The epoch's score table holds each row's success only (limr without rewards).
    public var gathersSuccess: Bool
}

/// A method's selection of an epoch.
public struct MethodSelection: Sendable {
    public var rows: [Int]
    /// The scores curriculum.jsonl shows, when they are not the table's column 0.
    public var curriculumScores: [Double]?
    /// The table scores.jsonl shows, when the selection made a new one (limr's history).
    public var table: ScoreTable?
    public var log: String?

    public init(rows: [Int], curriculumScores: [Double]? = nil, table: ScoreTable? = nil, log: String? = nil) {
        self.rows = rows
        self.curriculumScores = curriculumScores
        self.table = table
        self.log = log
    }
}

/// What methods carry from one epoch to the next, owned by the coordinator's core and restored
/// from the journal on resume.
public struct MethodState: Sendable {
    /// GAIN-RL's centre mu.
    public var mu = 0.0
    /// limr without rewards: every row's success in each epoch so far.
    public var history: LIMRHistory

    public init(rows: Int) { history = LIMRHistory(rowCount: rows) }
}

/// A method's refusal of the epoch's data, with the reason.
public struct MethodFailure: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
