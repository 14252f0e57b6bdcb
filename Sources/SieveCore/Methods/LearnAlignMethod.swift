import SieveSelect

/// LearnAlign: gradient alignment weighted by learnability p(1 - p), against the sum of the
/// training rows' own weighted unit gradients; the top rows form the curriculum.
public struct LearnAlignMethod: MethodDefinition {
    public var requiredTensors: [String] { ["grad", "success"] }
    public var reduction: Reduction? { .weightedUnitGradients }
    public var reportsReferenceNorm: Bool { true }

    public func scoreColumns(hasSuccess: Bool, gathersSuccess: Bool) -> [String] {
        ["score", "learnability", "alignment", "grad_norm", "success"]
    }

    public func rowSignals(hasSuccess: Bool, gathersSuccess: Bool) -> Set<RowSignal> { [.gradientAgainstReference, .success] }

    public func score(_ signals: RowSignals, _ context: ScoringContext, into values: inout [Double]) throws {
        guard context.reference != nil else { throw MethodFailure("learnalign scores need the grad tensor and the epoch's reference") }
        let rows = Double(context.poolRows)
        for row in 0..<signals.count {
            let dot = signals.dots[row], norm = signals.squaredNorms[row], p = signals.success[row]
            let weight = LearnAlign.weight(success: p)
            let score = LearnAlign.score(dot: dot, squaredNorm: norm, weight: weight, rowCount: context.poolRows)
            let alignment = norm > 0 ? dot / (norm.squareRoot() * rows) : 0
            values += [score, weight, alignment, norm.squareRoot(), Double(p)]
        }
    }

    public func select(_ table: ScoreTable, _ context: SelectionContext, state: inout MethodState) throws -> MethodSelection {
        MethodSelection(rows: Ranking.top(context.budget ?? 0, of: try table.need("score", method: "learnalign")))
    }
}
