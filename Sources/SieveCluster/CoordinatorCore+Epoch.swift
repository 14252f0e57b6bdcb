import SieveSelect
import SieveWire

/// The phases of an epoch: assignment, results, reduction, ranking.
extension CoordinatorCore {
    mutating func startEpoch(_ epoch: Int, _ out: inout [CoordinatorDirective]) {
        out.append(.log(.info, "epoch \(epoch): summing \(shape.validationRows) validation gradients in \(validationLayout.count) shard(s)"))
        stage = .running(epoch: epoch, phase: .validationSum)
        work = PhaseWork(shards: validationLayout.count)
        partialSums = Array(repeating: nil, count: validationLayout.count)
        announcePhase(&out)
        assignWork(&out)
    }

    var currentEpoch: Int? {
        if case let .running(epoch, _) = stage { return epoch }
        return nil
    }

    var currentPhase: Phase? {
        if case let .running(_, phase) = stage { return phase }
        return nil
    }

    /// Fills every ready worker's free slots with the lowest waiting shards.
    mutating func assignWork(_ out: inout [CoordinatorDirective]) {
        guard let epoch = currentEpoch, let phase = currentPhase else { return }
        let layout = phase == .validationSum ? validationLayout : trainingLayout
        for id in peers.keys.sorted() where peers[id]!.state == .ready {
            while peers[id]!.inFlight.count < peers[id]!.slots, let (shard, attempt) = work.take(for: id) {
                peers[id]!.inFlight.insert(shard)
                let rows = layout.rows(of: shard)
                let assignment = Assignment(epoch: UInt32(epoch), phase: phase, shard: UInt32(shard), attempt: attempt,
                                            rowStart: UInt64(rows.lowerBound), rowCount: UInt32(rows.count))
                out.append(.send(id, .assign(assignment), requestID: nextRequestID))
                nextRequestID &+= 1
            }
        }
    }

    /// Checks that a result answers the assignment in flight; stale or foreign results are
    /// dropped quietly (a worker that stalled and woke up must not count twice).
    mutating func claim(_ id: ConnectionID, epoch: UInt32, phase: Phase, shard: UInt32, attempt: UInt32,
                        _ out: inout [CoordinatorDirective]) -> Bool {
        guard currentEpoch == Int(epoch), currentPhase == phase,
              work.isCurrent(shard: Int(shard), attempt: attempt, connection: id) else {
            out.append(.log(.debug, "ignored a stale result for shard \(shard) attempt \(attempt) from \(peers[id]?.address ?? "?")"))
            return false
        }
        return true
    }

    /// A progress report with nothing done yet, so the shell can time the phase from its start.
    func announcePhase(_ out: inout [CoordinatorDirective]) {
        out.append(.progress(PhaseProgress(epoch: currentEpoch ?? 0, phase: phaseName, shardsDone: 0,
                                           shardsTotal: work.total, rowsDone: 0, finished: false)))
    }

    var phaseName: String { currentPhase == .validationSum ? "validation sum" : "score" }

    mutating func markDone(_ id: ConnectionID, _ shard: Int, rows: Int, _ out: inout [CoordinatorDirective]) {
        work.complete(shard)
        peers[id]?.inFlight.remove(shard)
        out.append(.progress(PhaseProgress(epoch: currentEpoch ?? 0, phase: phaseName, shardsDone: work.doneCount,
                                           shardsTotal: work.total, rowsDone: rows, finished: work.isComplete)))
    }

    mutating func acceptPartialSum(_ id: ConnectionID, _ sum: PartialSum, _ out: inout [CoordinatorDirective]) {
        guard claim(id, epoch: sum.epoch, phase: .validationSum, shard: sum.shard, attempt: sum.attempt, &out) else { return }
        let shard = Int(sum.shard)
        let rows = validationLayout.rows(of: shard)
        guard sum.sum.count == shape.dimension, sum.rowCount == UInt64(rows.count), sum.sum.allSatisfy(\.isFinite) else {
            let problem = "partialSum for shard \(shard) has \(sum.sum.count) values for \(sum.rowCount) rows; expected \(shape.dimension) finite values for \(rows.count) rows"
            protocolError(id, WireError(code: .malformedField, message: problem), &out)
            return
        }
        partialSums[shard] = sum.sum
        markDone(id, shard, rows: rows.count, &out)
        if work.isComplete { finishValidationSum(&out) } else { assignWork(&out) }
    }

    /// g_val = sum of the shard sums, added in shard order in Float64, so the reference is the
    /// same bits whatever the number of workers.
    mutating func finishValidationSum(_ out: inout [CoordinatorDirective]) {
        guard let epoch = currentEpoch else { return }
        var total = [Double](repeating: 0, count: shape.dimension)
        for partial in partialSums {
            for j in total.indices { total[j] += partial![j] }
        }
        let norm = total.reduce(0) { $0 + $1 * $1 }.squareRoot()
        guard norm > 0 else {
            fail("the validation gradients sum to the zero vector, so gradalign has no direction to align with", &out)
            return
        }
        reference = total
        out.append(.log(.info, "epoch \(epoch): |g_val| = \(norm); scoring \(shape.rows) rows in \(trainingLayout.count) shard(s)"))
        stage = .running(epoch: epoch, phase: .score)
        work = PhaseWork(shards: trainingLayout.count)
        scoreColumns = []
        scoreValues = []
        for id in peers.keys.sorted() where peers[id]!.state == .ready {
            out.append(.send(id, .reference(Reference(epoch: UInt32(epoch), vector: reference)), requestID: 0))
        }
        announcePhase(&out)
        assignWork(&out)
    }

    mutating func acceptScores(_ id: ConnectionID, _ scores: ShardScores, _ out: inout [CoordinatorDirective]) {
        guard claim(id, epoch: scores.epoch, phase: .score, shard: scores.shard, attempt: scores.attempt, &out) else { return }
        let shard = Int(scores.shard)
        let rows = trainingLayout.rows(of: shard)
        if scoreColumns.isEmpty && !scores.columns.isEmpty {
            scoreColumns = scores.columns
            scoreValues = [Double](repeating: 0, count: shape.rows * scoreColumns.count)
        }
        guard scores.columns == scoreColumns, scores.rowStart == UInt64(rows.lowerBound),
              Int(scores.rowCount) == rows.count, scores.values.allSatisfy(\.isFinite) else {
            let problem = "scores for shard \(shard) cover rows \(scores.rowStart)+\(scores.rowCount) with columns \(scores.columns); expected rows \(rows.lowerBound)+\(rows.count), columns \(scoreColumns), finite values"
            protocolError(id, WireError(code: .malformedField, message: problem), &out)
            return
        }
        let width = scoreColumns.count
        scoreValues.withUnsafeMutableBufferPointer { target in
            for (offset, value) in scores.values.enumerated() { target[rows.lowerBound * width + offset] = value }
        }
        markDone(id, shard, rows: rows.count, &out)
        if work.isComplete { finishScoring(&out) } else { assignWork(&out) }
    }

    /// Ranks every row globally (best score first, ties to the lower row) and hands the epoch
    /// to the shell to write.
    mutating func finishScoring(_ out: inout [CoordinatorDirective]) {
        guard let epoch = currentEpoch else { return }
        let width = scoreColumns.count
        let scores = (0..<shape.rows).map { scoreValues[$0 * width] }
        let picked = Ranking.top(configuration.budget, of: scores)
        let norm = reference.reduce(0) { $0 + $1 * $1 }.squareRoot()
        stage = .writing(epoch: epoch)
        out.append(.log(.info, "epoch \(epoch): selected \(picked.count) of \(shape.rows) rows"))
        out.append(.writeEpoch(EpochResult(epoch: epoch, curriculum: picked.map { ($0, scores[$0]) },
                                           columns: scoreColumns, values: scoreValues, referenceNorm: norm)))
        pendingCurriculum = CurriculumMessage(epoch: UInt32(epoch), rows: picked.map { UInt64($0) },
                                              scores: picked.map { scores[$0] })
    }

    mutating func epochWritten(_ epoch: Int, _ error: String?, _ out: inout [CoordinatorDirective]) {
        guard stage == .writing(epoch: epoch) else { return }
        if let error {
            fail("could not write epoch \(epoch): \(error)", &out)
            return
        }
        if let curriculum = pendingCurriculum {
            for id in peers.keys.sorted() where peers[id]!.state == .ready {
                out.append(.send(id, .curriculum(curriculum), requestID: 0))
            }
        }
        pendingCurriculum = nil
        if epoch < configuration.epochs {
            startEpoch(epoch + 1, &out)
        } else {
            endRun(status: Done.success, message: "run complete", &out)
            out.append(.finish(.success(RunSummary(epochs: epoch, workersSeen: workersSeen))))
        }
    }

    mutating func shardFailed(_ id: ConnectionID, _ failure: ShardFailure, _ out: inout [CoordinatorDirective]) {
        guard let phase = currentPhase,
              claim(id, epoch: failure.epoch, phase: phase, shard: failure.shard, attempt: failure.attempt, &out) else { return }
        let layout = phase == .validationSum ? validationLayout : trainingLayout
        let rows = layout.rows(of: Int(failure.shard))
        let set = phase == .validationSum ? "validation rows" : "rows"
        fail("shard \(failure.shard) (\(set) \(rows.lowerBound)..<\(rows.upperBound)) failed on worker \(peers[id]!.workerID): \(failure.reason)", &out)
    }

    /// Stops the run: every worker is told why and disconnected.
    mutating func fail(_ message: String, _ out: inout [CoordinatorDirective]) {
        out.append(.log(.error, message))
        endRun(status: Done.failed, message: message, &out)
        out.append(.finish(.failure(message)))
    }

    private mutating func endRun(status: UInt8, message: String, _ out: inout [CoordinatorDirective]) {
        stage = .finished
        for id in peers.keys.sorted() {
            if peers[id]!.state != .handshaking {
                out.append(.send(id, .done(Done(status: status, message: message)), requestID: 0))
            }
            out.append(.close(id, flush: true))
        }
        peers.removeAll()
    }
}
