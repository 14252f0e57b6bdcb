import SieveCore
import SieveData
import SieveKernels
import SieveSelect
import SieveWire

/// A worker's computation for one shard or GreeDi part, run off the loop thread. Data faults
/// (NaN, a success rate outside [0, 1]) come back as a failed outcome naming file, row and field.
enum ShardComputer {
    static func compute(_ task: ShardTask, pool: SignalSource) -> ShardOutcome {
        do {
            guard let method = SelectionMethod(rawValue: task.method) else {
                throw WorkerFailure("this worker does not know method \(task.method)")
            }
            switch task.work {
            case let .task(assignment):
                guard let live = pool as? LiveSignals else { throw WorkerFailure("training tasks need a live source (the built-in policy)") }
                let rows = assignment.rows.map { Int($0) }
                switch assignment.kind {
                case .gradient: return .values(live.trainTask(rows: rows, step: UInt64(assignment.step), epoch: Int(assignment.epoch)))
                case .evaluation: return .values(live.evaluationTask(rows: rows))
                }
            case let .part(part):
                let rows = part.rows.map { Int($0) }
                let vectors = try CandidateVectors.load(pool, rows: rows)
                let result = FacilityLocation.greedy(rows: rows, vectors: vectors, dimension: pool.dimension!, budget: Int(part.budget))
                return .picks(GreedyOutcome(picks: result.picks, value: result.value))
            case let .shard(assignment):
                let rows = Int(assignment.rowStart)..<Int(assignment.rowStart) + Int(assignment.rowCount)
                switch assignment.phase {
                case .validationSum: return .partialSum(try validationSum(pool, rows))
                case .trainingSum: return .partialSum(try trainingSum(method, pool, rows))
                case .score:
                    let (columns, values) = try RowScorer(method: method, pool: pool, reference: task.reference).scores(rows)
                    return .scores(columns: columns, values: values)
                }
            }
        } catch {
            return .failed("\(error)")
        }
    }

    /// Sum of the validation gradients of `rows`, added row by row in Float64.
    static func validationSum(_ pool: SignalSource, _ rows: Range<Int>) throws -> [Double] {
        guard let dimension = pool.dimension, let type = pool.validationGradType else {
            throw WorkerFailure("the pool has no validation gradients")
        }
        var sum = [Double](repeating: 0, count: dimension)
        for segment in pool.validationSegments(rows: rows) {
            let bad = try pool.withGradBytes(segment, validation: true) { bytes in
                sum.withUnsafeMutableBufferPointer { target in
                    RowKernels.addRows(bytes.baseAddress!, count: segment.count, dimension: dimension,
                                       type: elementType(type), into: target)
                }
            }
            if let bad {
                throw DataError(file: pool.origin(of: segment, validation: true), row: segment.fileRow + bad, field: "grad",
                                message: "value is NaN or infinite")
            }
        }
        return sum
    }

    /// learnalign: sum of p(1-p) unit(grad) over the rows; limr: sum of the reward histories.
    static func trainingSum(_ method: SelectionMethod, _ pool: SignalSource, _ rows: Range<Int>) throws -> [Double] {
        switch method.definition.reduction {
        case .weightedUnitGradients?:
            guard let dimension = pool.dimension, let type = pool.gradType else { throw WorkerFailure("the pool has no grad") }
            var sum = [Double](repeating: 0, count: dimension)
            for segment in pool.segments(rows: rows) {
                let success = try SignalCheck.successRates(pool, segment)
                let bad = try pool.withGradBytes(segment, validation: false) { bytes in
                    sum.withUnsafeMutableBufferPointer { target in
                        LearnAlign.addWeightedUnitRows(bytes.baseAddress!, count: segment.count, dimension: dimension,
                                                       type: elementType(type), success: success, into: target)
                    }
                }
                if let bad {
                    throw DataError(file: pool.origin(of: segment, validation: false), row: segment.row + bad, field: "grad",
                                    message: "value is NaN or infinite")
                }
            }
            return sum
        case .rewardHistories?:
            let epochs = pool.rewardEpochs ?? 0
            var sum = [Double](repeating: 0, count: epochs)
            for segment in pool.segments(rows: rows) {
                let rewards = try SignalCheck.rewards(pool, segment)
                LIMR.addRewards(rewards, rowCount: segment.count, epochs: epochs, into: &sum)
            }
            return sum
        case .validationGradients?, nil:
            throw WorkerFailure("method \(method.rawValue) has no training sum")
        }
    }

    static func elementType(_ type: DType) -> ElementType {
        switch type {
        case .f16: return .float16
        case .bf16: return .bfloat16
        default: return .float32
        }
    }
}
