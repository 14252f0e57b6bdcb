import SieveCore
import SieveData
import SieveSelect

/// GreeDi's second round on the coordinator: greedy over the union of the parts' picks, then
/// f(S) measured over every candidate, which is the figure run.json reports.
public enum FinalGreedy {
    public static func run(_ request: FinalGreedyRequest, pool: SignalSource) throws -> GreedyOutcome {
        guard let dimension = pool.dimension else { throw WorkerFailure("facility location needs the grad tensor") }
        // The candidates' vectors are read once; the union's are copied from them (the union is
        // a subset of the candidates, and a row's unit vector is the same whoever reads it).
        let candidateVectors = try CandidateVectors.load(pool, rows: request.candidates)
        if request.union == request.candidates {
            // Greedy's ground set is every candidate, so the value it reports is f(S) over C,
            // bit for bit what `FacilityLocation.value` would compute again.
            let chosen = FacilityLocation.greedy(rows: request.union, vectors: candidateVectors, dimension: dimension,
                                                 budget: request.budget)
            return GreedyOutcome(picks: chosen.picks, value: chosen.value)
        }
        var position: [Int: Int] = [:]
        for (index, row) in request.candidates.enumerated() { position[row] = index }
        var unionVectors = [Float]()
        unionVectors.reserveCapacity(request.union.count * dimension)
        for row in request.union {
            guard let index = position[row] else { throw WorkerFailure("GreeDi's union holds row \(row), which is not a candidate") }
            unionVectors.append(contentsOf: candidateVectors[(index * dimension)..<((index + 1) * dimension)])
        }
        let chosen = FacilityLocation.greedyWithCover(rows: request.union, vectors: unionVectors, dimension: dimension,
                                                      budget: request.budget)
        // The union's covers come with greedy's result; only the other candidates' are computed.
        var known: [Int: Float] = [:]
        for (index, row) in request.union.enumerated() { known[row] = chosen.cover[index] }
        let value = FacilityLocation.value(of: chosen.picks, ground: request.candidates, vectors: candidateVectors,
                                           dimension: dimension, known: known)
        return GreedyOutcome(picks: chosen.picks, value: value)
    }
}
