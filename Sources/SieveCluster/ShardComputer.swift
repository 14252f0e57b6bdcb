import SieveData
import SieveKernels
import SieveSelect
import SieveWire

/// A worker's computation for one shard, run off the loop thread. Data faults (NaN, success
/// outside [0, 1]) come back as a failed outcome that names the file, row and field.
enum ShardComputer {
    static func compute(_ task: ShardTask, pool: Pool) -> ShardOutcome {
        let rows = Int(task.assignment.rowStart)..<Int(task.assignment.rowStart) + Int(task.assignment.rowCount)
        do {
            switch task.assignment.phase {
            case .validationSum:
                return .partialSum(try validationSum(pool, rows))
            case .score:
                guard let reference = task.reference else { return .failed("no reference vector for the score phase") }
                let (columns, values) = try gradAlignScores(pool, rows, reference)
                return .scores(columns: columns, values: values)
            case .trainingSum:
                return .failed("training sums are not part of gradalign")
            }
        } catch {
            return .failed("\(error)")
        }
    }

    /// Sum of the validation gradients of `rows`, added row by row in Float64.
    static func validationSum(_ pool: Pool, _ rows: Range<Int>) throws -> [Double] {
        guard let dimension = pool.dimension, let type = pool.validationGradType else {
            throw WorkerFailure("the pool has no validation gradients")
        }
        var sum = [Double](repeating: 0, count: dimension)
        for segment in pool.validationSegments(rows: rows) {
            let bytes = pool.gradBytes(segment, validation: true)
            let bad = sum.withUnsafeMutableBufferPointer { target in
                RowKernels.addRows(bytes.baseAddress!, count: segment.count, dimension: dimension,
                                   type: elementType(type), into: target)
            }
            if let bad {
                let file = pool.validationFiles[segment.file].path
                throw DataError(file: file, row: segment.fileRow + bad, field: "grad", message: "value is NaN or infinite")
            }
        }
        return sum
    }

    static let gradAlignColumns = ["score", "cosine", "grad_norm"]

    /// GradAlign's score for each row of the shard, row-major with `gradAlignColumns` (and
    /// `success` when the pool has it).
    static func gradAlignScores(_ pool: Pool, _ rows: Range<Int>, _ reference: ReferenceVector) throws -> ([String], [Double]) {
        guard let dimension = pool.dimension, let type = pool.gradType else { throw WorkerFailure("the pool has no grad") }
        let columns = gradAlignColumns + (pool.hasSuccess ? ["success"] : [])
        var values: [Double] = []
        values.reserveCapacity(rows.count * columns.count)
        let rowBytes = dimension * elementType(type).byteWidth
        try reference.values.withUnsafeBufferPointer { ref in
            for segment in pool.segments(rows: rows) {
                let bytes = pool.gradBytes(segment)
                let success = pool.hasSuccess ? try floats(pool, "success", segment) : nil
                let file = pool.signalFiles[segment.file].path
                for index in 0..<segment.count {
                    let row = segment.row + index
                    let (dot, norm) = RowKernels.dotAndSquaredNorm(row: bytes.baseAddress! + index * rowBytes,
                                                                   type: elementType(type), reference: ref)
                    guard dot.isFinite, norm.isFinite else {
                        throw DataError(file: file, row: row, field: "grad", message: "value is NaN or infinite")
                    }
                    var p: Float?
                    if let success {
                        p = success[index]
                        guard p!.isFinite, p! >= 0, p! <= 1 else {
                            throw DataError(file: file, row: row, field: "success", message: "\(p!) is not a success rate in [0, 1]")
                        }
                    }
                    let scored = GradAlign.score(dot: dot, squaredNorm: norm, referenceNorm: reference.norm, success: p)
                    values.append(scored.score)
                    values.append(scored.cosine)
                    values.append(scored.gradNorm)
                    if let p { values.append(Double(p)) }
                }
            }
        }
        return (columns, values)
    }

    static func floats(_ pool: Pool, _ name: String, _ segment: RowSegment) throws -> [Float] {
        guard let values = pool.floats(name, segment) else {
            throw DataError(file: pool.signalFiles[segment.file].path, row: segment.row, field: name, message: "tensor is missing")
        }
        return values
    }

    static func elementType(_ type: DType) -> ElementType {
        switch type {
        case .f16: return .float16
        case .bf16: return .bfloat16
        default: return .float32
        }
    }
}
