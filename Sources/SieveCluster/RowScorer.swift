import SieveCore
import SieveData
import SieveKernels

/// Per-row scores of one shard: reads, segment by segment, the signals the method declares
/// (`MethodDefinition.rowSignals`), checks them (a bad value names its file, row and field), and
/// hands them to the method's `score`. Column 0 is always `score`.
struct RowScorer {
    let method: SelectionMethod
    let pool: SignalSource
    let reference: ReferenceVector?

    var columns: [String] { method.scoreColumns(hasSuccess: pool.hasSuccess, gathersSuccess: gathersSuccess) }

    /// A method that keeps its history with an empty reference: the epoch has no `rewards`, and
    /// the score step returns each row's success for the coordinator's history.
    var gathersSuccess: Bool { method.definition.keepsHistory && reference?.exact.isEmpty == true }

    func scores(_ rows: Range<Int>) throws -> ([String], [Double]) {
        let definition = method.definition
        let signals = definition.rowSignals(hasSuccess: pool.hasSuccess, gathersSuccess: gathersSuccess)
        let context = ScoringContext(reference: reference, poolRows: pool.rowCount, gathersSuccess: gathersSuccess)
        var values: [Double] = []
        values.reserveCapacity(rows.count * columns.count)
        for segment in pool.segments(rows: rows) {
            let read = try self.read(signals, segment)
            do {
                try definition.score(read, context, into: &values)
            } catch let failure as MethodFailure {
                throw WorkerFailure(failure.description)
            }
        }
        return (columns, values)
    }

    /// The declared signals of one segment, read and checked.
    private func read(_ signals: Set<RowSignal>, _ segment: RowSegment) throws -> RowSignals {
        var read = RowSignals(count: segment.count)
        if signals.contains(.success) { read.success = try SignalCheck.successRates(pool, segment) }
        if signals.contains(.successAlone) { read.success = try SignalCheck.successOnly(pool, segment) }
        if signals.contains(.angle) { read.angles = try SignalCheck.angles(pool, segment) }
        if signals.contains(.rewards) {
            read.rewards = try SignalCheck.rewards(pool, segment)
            read.rewardEpochs = pool.rewardEpochs ?? 0
        }
        if signals.contains(.gradientAgainstReference) { try readGradients(segment, into: &read) }
        return read
    }

    /// <grad_i, reference> and |grad_i|^2 for every row of the segment, in one kernel call.
    private func readGradients(_ segment: RowSegment, into read: inout RowSignals) throws {
        guard let reference, pool.dimension != nil, let type = pool.gradType else {
            throw WorkerFailure("\(method.rawValue) scores need the grad tensor and the epoch's reference")
        }
        let element = ShardComputer.elementType(type)
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
        if let bad = (0..<segment.count).first(where: { !dots[$0].isFinite || !norms[$0].isFinite }) {
            throw DataError(file: pool.origin(of: segment, validation: false), row: segment.row + bad, field: "grad", message: "value is NaN or infinite")
        }
        read.dots = dots
        read.squaredNorms = norms
    }
}
