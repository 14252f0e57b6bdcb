import SieveSelect

/// LIMR: each row's reward trajectory aligned with the run's mean learning curve. With a
/// `rewards` tensor the reference is its column sums; without one (a live policy, followed
/// epochs that carry none) the coordinator keeps the history from each epoch's success.
public struct LIMRMethod: MethodDefinition {
    public var requiredTensors: [String] { ["rewards"] }
    public var reduction: Reduction? { .rewardHistories }
    public var budgetByDefault: Bool { false }
    public var keepsHistory: Bool { true }

    public func scoreColumns(hasSuccess: Bool, gathersSuccess: Bool) -> [String] {
        gathersSuccess ? ["success"] : ["score", "distance"]
    }

    public func rowSignals(hasSuccess: Bool, gathersSuccess: Bool) -> Set<RowSignal> {
        gathersSuccess ? [.successAlone] : [.rewards]
    }

    /// 1 - sum_k (a_ik - abar_k)^2 / sum_k (1 - abar_k)^2, with abar = reference / N: the
    /// reference is the undivided column sum, and the worker divides.
    public func score(_ signals: RowSignals, _ context: ScoringContext, into values: inout [Double]) throws {
        if context.gathersSuccess {
            values += signals.success.map(Double.init)
            return
        }
        guard let reference = context.reference else { throw MethodFailure("limr scores need the epoch's reward means") }
        let mean = LIMR.mean(sum: reference.exact, rowCount: context.poolRows)
        let denominator = try LIMR.denominator(mean: mean)
        let epochs = signals.rewardEpochs
        for row in 0..<signals.count {
            let score = LIMR.score(rewards: signals.rewards[(row * epochs)..<((row + 1) * epochs)], mean: mean, denominator: denominator)
            values += [score, (1 - score) * denominator]
        }
    }

    public func checkReference(_ total: [Double], rows: Int, live: Bool) throws -> [(LogLevel, String)] {
        _ = try LIMR.denominator(mean: LIMR.mean(sum: total, rowCount: rows))
        return []
    }

    public func select(_ table: ScoreTable, _ context: SelectionContext, state: inout MethodState) throws -> MethodSelection {
        guard context.gathersSuccess else {
            return MethodSelection(rows: LIMR.select(scores: try table.need("score", method: "limr"), threshold: context.parameters.threshold,
                                                     budget: context.budget))
        }
        return try selectFromHistory(table, context, &state.history)
    }

    /// The epoch's success joins the history, then `LIMRHistory.select` draws random's rows
    /// while fewer than `--limr-history-epochs` earlier epochs are recorded, and scores every
    /// row from the earlier epochs after that. The table becomes success (warm-up) or score,
    /// distance, success.
    func selectFromHistory(_ table: ScoreTable, _ context: SelectionContext, _ history: inout LIMRHistory) throws -> MethodSelection {
        let parameters = context.parameters, epoch = context.epoch
        guard let success = table.column("success") else { throw MethodFailure("limr: workers sent no success column for the history") }
        history.record(epoch: epoch, success: success.map { Float($0) })
        let selection: LIMRHistory.Selection
        do {
            selection = try history.select(epoch: epoch, minimumEpochs: parameters.limrHistoryEpochs,
                                           threshold: parameters.threshold, budget: context.budget, seed: parameters.seed)
        } catch {
            throw MethodFailure("\(error) (over the success history of epochs \(history.epochs(before: epoch)))")
        }
        if let scores = selection.scores, let distances = selection.distances {
            return MethodSelection(rows: selection.rows,
                                   table: ScoreTable(rows: context.rows, columns: ["score", "distance", "success"], values: [scores, distances, success]),
                                   log: "limr scores from the success history of epoch(s) \(selection.historyEpochs)")
        }
        let have = history.epochs(before: epoch).count
        return MethodSelection(rows: selection.rows, curriculumScores: [Double](repeating: 0, count: context.rows),
                               table: ScoreTable(rows: context.rows, columns: ["success"], values: [success]),
                               log: "limr has \(have) of \(parameters.limrHistoryEpochs) epoch(s) of success history; this epoch's curriculum is random's draw")
    }
}
