import SieveCore
import SieveData
import SieveKernels
import SieveSelect

/// Per-row scores of one shard for each method, with the components that go to scores.jsonl.
/// Column 0 is always `score`; the coordinator selects from the columns by name.
struct RowScorer {
    let method: SelectionMethod
    let pool: SignalSource
    let reference: ReferenceVector?

    var columns: [String] { method.scoreColumns(hasSuccess: pool.hasSuccess, gathersSuccess: gathersSuccess) }

    /// limr with an empty reference: the epoch has no `rewards`, and the score step returns each
    /// row's success for the coordinator's history instead of a score.
    var gathersSuccess: Bool { method == .limr && reference?.exact.isEmpty == true }

    func scores(_ rows: Range<Int>) throws -> ([String], [Double]) {
        var values: [Double] = []
        values.reserveCapacity(rows.count * columns.count)
        for segment in pool.segments(rows: rows) {
            switch method {
            case .gradalign, .learnalign: try gradientScores(segment, into: &values)
            case .limr where gathersSuccess:
                values += try SignalCheck.successOnly(pool, segment).map(Double.init)
            case .limr: try limrScores(segment, into: &values)
            case .gainrl:
                let angles = try SignalCheck.angles(pool, segment), success = try SignalCheck.successRates(pool, segment)
                for i in 0..<segment.count { values += [Double(angles[i]), Double(angles[i]), Double(success[i])] }
            case .accuracyBand:
                for p in try SignalCheck.successRates(pool, segment) { values += [-abs(Double(p) - 0.5), Double(p)] }
            case .random:
                values += [Double](repeating: 0, count: segment.count)
            }
        }
        return (columns, values)
    }

    /// gradalign and learnalign: one fused pass per row gives <grad_i, reference> and |grad_i|^2.
    private func gradientScores(_ segment: RowSegment, into values: inout [Double]) throws {
        guard let reference, pool.dimension != nil, let type = pool.gradType else {
            throw WorkerFailure("\(method.rawValue) scores need the grad tensor and the epoch's reference")
        }
        let element = ShardComputer.elementType(type)
        let success = pool.hasSuccess ? try SignalCheck.successRates(pool, segment) : nil
        let file = pool.origin(of: segment, validation: false)
        // One kernel call for the whole segment, then the per-row arithmetic.
        var dots = [Double](repeating: 0, count: segment.count)
        var norms = [Double](repeating: 0, count: segment.count)
        try pool.withGradBytes(segment, validation: false) { bytes in
            reference.values.withUnsafeBufferPointer { ref in
                dots.withUnsafeMutableBufferPointer { dotsOut in
                    norms.withUnsafeMutableBufferPointer { normsOut in
                        RowKernels.dotsAndSquaredNorms(rows: bytes.baseAddress!, count: segment.count, type: element,
                                                       reference: ref, dots: dotsOut, squaredNorms: normsOut)
                    }
                }
            }
            pool.releasePages(bytes)
        }
        for index in 0..<segment.count {
            let dot = dots[index], norm = norms[index]
            guard dot.isFinite, norm.isFinite else {
                throw DataError(file: file, row: segment.row + index, field: "grad", message: "value is NaN or infinite")
            }
            let p = success?[index]
            if method == .gradalign {
                let scored = GradAlign.score(dot: dot, squaredNorm: norm, referenceNorm: reference.norm, success: p)
                values += [scored.score, scored.cosine, scored.gradNorm]
                if let p { values.append(Double(p)) }
            } else {
                let weight = LearnAlign.weight(success: p!)
                let score = LearnAlign.score(dot: dot, squaredNorm: norm, weight: weight, rowCount: pool.rowCount)
                let alignment = norm > 0 ? dot / (norm.squareRoot() * Double(pool.rowCount)) : 0
                values += [score, weight, alignment, norm.squareRoot(), Double(p!)]
            }
        }
    }

    /// limr: 1 - sum_k (a_ik - abar_k)^2 / sum_k (1 - abar_k)^2, with abar = reference / N.
    private func limrScores(_ segment: RowSegment, into values: inout [Double]) throws {
        guard let reference else { throw WorkerFailure("limr scores need the epoch's reward means") }
        let epochs = pool.rewardEpochs ?? 0
        let mean = LIMR.mean(sum: reference.exact, rowCount: pool.rowCount)
        let denominator = try LIMR.denominator(mean: mean)
        let rewards = try SignalCheck.rewards(pool, segment)
        for index in 0..<segment.count {
            let row = rewards[(index * epochs)..<((index + 1) * epochs)]
            let score = LIMR.score(rewards: row, mean: mean, denominator: denominator)
            values += [score, (1 - score) * denominator]
        }
    }
}
