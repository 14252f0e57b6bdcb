import SieveSelect

/// The accuracy band: rows whose success rate lies in [low, high], closest to p = 0.5 first.
public struct AccuracyBandMethod: MethodDefinition {
    public var requiredTensors: [String] { ["success"] }

    public func scoreColumns(hasSuccess: Bool, gathersSuccess: Bool) -> [String] { ["score", "success"] }

    public func rowSignals(hasSuccess: Bool, gathersSuccess: Bool) -> Set<RowSignal> { [.success] }

    /// score = -|p - 0.5| for every row; the band is applied by the selection.
    public func score(_ signals: RowSignals, _ context: ScoringContext, into values: inout [Double]) throws {
        for p in signals.success { values += [-abs(Double(p) - 0.5), Double(p)] }
    }

    public func select(_ table: ScoreTable, _ context: SelectionContext, state: inout MethodState) throws -> MethodSelection {
        let parameters = context.parameters
        let success = try table.need("success", method: "accuracy-band")
        return MethodSelection(rows: AccuracyBand.select(success: success, low: parameters.low, high: parameters.high,
                                                         budget: context.budget ?? 0))
    }
}
