import SieveSelect

/// GAIN-RL: rows ranked by hidden-state angle concentration, drawn around a centre mu that
/// moves between epochs with the curriculum's accuracy and mean angle.
public struct GainRLMethod: MethodDefinition {
    public var requiredTensors: [String] { ["angle", "success"] }
    public var usesMu: Bool { true }

    public func scoreColumns(hasSuccess: Bool, gathersSuccess: Bool) -> [String] { ["score", "angle", "success"] }

    public func rowSignals(hasSuccess: Bool, gathersSuccess: Bool) -> Set<RowSignal> { [.angle, .success] }

    public func score(_ signals: RowSignals, _ context: ScoringContext, into values: inout [Double]) throws {
        for row in 0..<signals.count {
            values += [Double(signals.angles[row]), Double(signals.angles[row]), Double(signals.success[row])]
        }
    }

    public func select(_ table: ScoreTable, _ context: SelectionContext, state: inout MethodState) throws -> MethodSelection {
        let ranked = GainRL.rank(angles: try table.need("angle", method: "gainrl"))
        return MethodSelection(rows: GainRL.sample(ranked: ranked, budget: context.budget ?? 0, mu: state.mu,
                                                   sigma: context.parameters.gainrl.sigma, seed: context.parameters.seed,
                                                   epoch: context.epoch))
    }

    /// mu moves by the curriculum's accuracy and mean angle (GainRL.nextMu).
    public func feedback(curriculum: [Int], table: ScoreTable, parameters: MethodParameters, state: inout MethodState) -> String? {
        guard let success = table.column("success"), let angles = table.column("angle"),
              let feedback = GainRL.feedback(curriculum: curriculum, success: success.map { Float($0) }, angles: angles) else { return nil }
        let used = state.mu
        state.mu = GainRL.nextMu(used, accuracy: feedback.accuracy, meanAngle: feedback.meanAngle, parameters: parameters.gainrl)
        return "gainrl acc = \(feedback.accuracy), Cbar = \(feedback.meanAngle); mu \(used) -> \(state.mu)"
    }
}
