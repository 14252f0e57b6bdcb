import SieveCore
import SieveData
import SieveSelect

/// GreeDi's second round on the coordinator: greedy over the union of the parts' picks, then
/// f(S) measured over every candidate, which is the figure run.json reports.
public enum FinalGreedy {
    public static func run(_ request: FinalGreedyRequest, pool: SignalSource) throws -> GreedyOutcome {
        guard let dimension = pool.dimension else { throw WorkerFailure("facility location needs the grad tensor") }
        let unionVectors = try CandidateVectors.load(pool, rows: request.union)
        let chosen = FacilityLocation.greedy(rows: request.union, vectors: unionVectors, dimension: dimension, budget: request.budget)
        let candidateVectors = try CandidateVectors.load(pool, rows: request.candidates)
        let value = FacilityLocation.value(of: chosen.picks, ground: request.candidates, vectors: candidateVectors, dimension: dimension)
        return GreedyOutcome(picks: chosen.picks, value: value)
    }
}
