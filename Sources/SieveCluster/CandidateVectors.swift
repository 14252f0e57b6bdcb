import SieveCore
import SieveData
import SieveKernels

/// Unit gradient vectors of chosen rows, row-major Float32, for the facility-location greedy
/// (which compares rows by cosine). Used by workers for their part and by the coordinator for
/// GreeDi's second round, so both read the same values.
enum CandidateVectors {
    static func load(_ pool: SignalSource, rows: [Int]) throws -> [Float] {
        guard let dimension = pool.dimension, let type = pool.gradType else { throw WorkerFailure("the pool has no grad") }
        let element = ShardComputer.elementType(type)
        var vectors = [Float](repeating: 0, count: rows.count * dimension)
        for (index, row) in rows.enumerated() {
            let segment = pool.location(ofRow: row)
            var norm = 0.0
            try pool.withGradBytes(segment, validation: false) { bytes in
                for j in 0..<dimension {
                    let value = RowKernels.element(bytes.baseAddress!, j, element)
                    guard value.isFinite else {
                        throw DataError(file: pool.origin(of: segment, validation: false), row: row, field: "grad", message: "value is NaN or infinite")
                    }
                    vectors[index * dimension + j] = value
                    norm += Double(value) * Double(value)
                }
            }
            guard norm > 0 else { continue }
            let scale = Float(1 / norm.squareRoot())
            for j in 0..<dimension { vectors[index * dimension + j] *= scale }
        }
        return vectors
    }
}
