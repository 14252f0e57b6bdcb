import SieveSelect

/// GradAlign: each row's policy gradient aligned with the sum of a trusted validation set's
/// gradients, g_val; the top rows by cosine (or a `--gradalign-score` variant) form the
/// curriculum.
public struct GradAlignMethod: MethodDefinition {
    public var requiredTensors: [String] { ["grad"] }
    public var needsValidation: Bool { true }
    public var reduction: Reduction? { .validationGradients }
    public var reportsReferenceNorm: Bool { true }

    public func scoreColumns(hasSuccess: Bool, gathersSuccess: Bool) -> [String] {
        ["score", "cosine", "grad_norm"] + (hasSuccess ? ["success"] : [])
    }

    public func rowSignals(hasSuccess: Bool, gathersSuccess: Bool) -> Set<RowSignal> {
        hasSuccess ? [.gradientAgainstReference, .success] : [.gradientAgainstReference]
    }

    public func score(_ signals: RowSignals, _ context: ScoringContext, into values: inout [Double]) throws {
        guard let reference = context.reference else { throw MethodFailure("gradalign scores need the grad tensor and the epoch's reference") }
        let hasSuccess = !signals.success.isEmpty
        for row in 0..<signals.count {
            let scored = GradAlign.score(dot: signals.dots[row], squaredNorm: signals.squaredNorms[row], referenceNorm: reference.norm,
                                         success: hasSuccess ? signals.success[row] : nil)
            values += [scored.score, scored.cosine, scored.gradNorm]
            if hasSuccess { values.append(Double(signals.success[row])) }
        }
    }

    /// g_val must have a direction; a live policy that solves (or fails) every validation
    /// problem leaves none, and that epoch then scores every row 0 instead of failing the run.
    public func checkReference(_ total: [Double], rows: Int, live: Bool) throws -> [(LogLevel, String)] {
        let norm = total.reduce(0) { $0 + $1 * $1 }.squareRoot()
        guard norm > 0 || live else {
            throw MethodFailure("the validation gradients sum to the zero vector, so gradalign has no direction to align with")
        }
        var notes: [(LogLevel, String)] = []
        if norm == 0 { notes.append((.warning, "the policy's validation gradients sum to zero; every row scores 0 this epoch")) }
        notes.append((.info, "|g_val| = \(norm)"))
        return notes
    }

    public func select(_ table: ScoreTable, _ context: SelectionContext, state: inout MethodState) throws -> MethodSelection {
        let variant = context.parameters.gradalignScore
        guard variant != .sim else {
            return MethodSelection(rows: Ranking.top(context.budget ?? 0, of: try table.need("score", method: "gradalign")))
        }
        // dot and simacc rank by a score made from the workers' columns; the curriculum carries
        // it as each row's score.
        guard let scores = variant.scores(column: table.column) else {
            throw MethodFailure("gradalign --gradalign-score \(variant.rawValue): workers sent no success/cosine/grad_norm column")
        }
        return MethodSelection(rows: Ranking.top(context.budget ?? 0, of: scores), curriculumScores: scores)
    }
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
