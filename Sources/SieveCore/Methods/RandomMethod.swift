import SieveSelect

/// The baseline: a seeded uniform draw per epoch; workers score nothing.
public struct RandomMethod: MethodDefinition {
    public var requiredTensors: [String] { [] }
    public var scoresRows: Bool { false }

    public func scoreColumns(hasSuccess: Bool, gathersSuccess: Bool) -> [String] { ["score"] }

    public func rowSignals(hasSuccess: Bool, gathersSuccess: Bool) -> Set<RowSignal> { [] }

    public func score(_ signals: RowSignals, _ context: ScoringContext, into values: inout [Double]) throws {
        values += [Double](repeating: 0, count: signals.count)
    }

    public func select(_ table: ScoreTable, _ context: SelectionContext, state: inout MethodState) throws -> MethodSelection {
        MethodSelection(rows: RandomSelection.sample(rowCount: context.rows, budget: context.budget ?? 0,
                                                     seed: context.parameters.seed, epoch: context.epoch))
    }
}
