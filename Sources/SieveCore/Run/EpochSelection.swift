import SieveSelect

/// Each method's selection over the gathered score table, as one pure function the coordinator
/// calls once all shards are in.
enum EpochSelection {
    /// - Parameters:
    ///   - budget: rows wanted (the curriculum size, or the candidate count when GreeDi follows);
    ///     nil only for limr, which then keeps every row at or above the threshold.
    ///   - column: a column of the score table by name (nil when workers did not send it).
    static func select(method: SelectionMethod, parameters: MethodParameters, budget: Int?, epoch: Int, mu: Double,
                       rows: Int, column: (String) -> [Double]?) -> Result<[Int], SelectionError> {
        func need(_ name: String) throws -> [Double] {
            guard let values = column(name) else {
                throw SelectionError(method: method.rawValue, message: "workers sent no \(name) column")
            }
            return values
        }
        do {
            switch method {
            case .gradalign, .learnalign:
                return .success(Ranking.top(budget ?? 0, of: try need("score")))
            case .limr:
                return .success(LIMR.select(scores: try need("score"), threshold: parameters.threshold, budget: budget))
            case .gainrl:
                let ranked = GainRL.rank(angles: try need("angle"))
                return .success(GainRL.sample(ranked: ranked, budget: budget ?? 0, mu: mu,
                                              sigma: parameters.gainrl.sigma, seed: parameters.seed, epoch: epoch))
            case .accuracyBand:
                let kept = try need("success").map { AccuracyBand.score(success: Float($0), low: parameters.low, high: parameters.high) }
                return .success(AccuracyBand.select(scores: kept, budget: budget ?? 0))
            case .random:
                return .success(RandomSelection.sample(rowCount: rows, budget: budget ?? 0, seed: parameters.seed, epoch: epoch))
            }
        } catch let error as SelectionError {
            return .failure(error)
        } catch {
            return .failure(SelectionError(method: method.rawValue, message: "\(error)"))
        }
    }
}
