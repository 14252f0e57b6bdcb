import SieveWire

/// Shard scheduling: which worker computes which shard (or GreeDi part, or training task), which
/// results count, and what a failed shard costs. The pipeline decides what the steps are; this
/// file hands their shards out and takes them back.
extension CoordinatorCore {
    /// Starts a step: results the journal already holds count as done (resume), the rest go out.
    mutating func begin(_ epoch: Int, _ step: EpochStep, shards: Int, _ out: inout [CoordinatorDirective]) {
        stage = .running(epoch: epoch, step: step)
        work = PhaseWork(shards: shards)
        var restoredShards = 0
        for message in restored.results[epoch] ?? [] {
            guard let (shard, _) = resultKey(message), step == stepOf(message), shard < shards, !work.done[shard],
                  store(message) == nil else { continue }
            work.completeRestored(shard)
            restoredShards += 1
        }
        if restoredShards > 0 { out.append(.log(.info, "epoch \(epoch) \(step.name): \(restoredShards) of \(shards) shard(s) restored from the journal")) }
        out.append(.progress(PhaseProgress(epoch: epoch, phase: step.name, shardsDone: work.doneCount, shardsTotal: shards,
                                           rowsDone: 0, finished: false)))
        if shards > 0 && work.isComplete {
            stepComplete(&out)
        } else {
            assignWork(&out)
        }
    }

    /// What comes after a step whose shards are all in.
    mutating func stepComplete(_ out: inout [CoordinatorDirective]) {
        switch currentStep {
        case .reduce?: finishReduction(&out)
        case .score?: select(&out)
        case .diversity?: requestFinalGreedy(&out)
        case let .train(step)?: finishStep(currentEpoch!, step, &out)
        case .evaluate?: finishEvaluation(currentEpoch!, &out)
        case .finalGreedy?, nil: break
        }
    }

    var currentEpoch: Int? {
        if case let .running(epoch, _) = stage { return epoch }
        return nil
    }

    var currentStep: EpochStep? {
        if case let .running(_, step) = stage { return step }
        return nil
    }

    func layout(for step: EpochStep) -> ShardLayout {
        step == .reduce(.validationSum) ? validationLayout : trainingLayout
    }

    /// Fills every ready worker's free slots with the lowest waiting shards (or parts).
    mutating func assignWork(_ out: inout [CoordinatorDirective]) {
        guard !draining, let epoch = currentEpoch, let step = currentStep, step != .finalGreedy else { return }
        for id in peers.keys.sorted() where peers[id]!.state == .ready {
            while peers[id]!.inFlight.count < peers[id]!.slots, let (shard, attempt) = work.take(for: id) {
                peers[id]!.inFlight.insert(shard)
                out.append(.send(id, assignment(epoch, step, shard, attempt), requestID: nextRequestID))
                nextRequestID &+= 1
            }
        }
    }

    func assignment(_ epoch: Int, _ step: EpochStep, _ shard: Int, _ attempt: UInt32) -> Message {
        let phase: Phase
        switch step {
        case .train, .evaluate:
            return taskAssignment(epoch, step, shard, attempt)
        case .diversity:
            let budget = UInt32(diversity.partBudget(shard))
            return .assignPart(PartAssignment(epoch: UInt32(epoch), part: UInt32(shard), attempt: attempt, budget: budget,
                                              rows: diversity.parts[shard].map { UInt64($0) }))
        case let .reduce(reduction): phase = reduction
        case .score, .finalGreedy: phase = .score
        }
        let rows = layout(for: step).rows(of: shard)
        return .assign(Assignment(epoch: UInt32(epoch), phase: phase, shard: UInt32(shard), attempt: attempt,
                                  rowStart: UInt64(rows.lowerBound), rowCount: UInt32(rows.count)))
    }

    /// Checks that a result answers the assignment in flight; stale or foreign results are
    /// dropped quietly (a worker that stalled and woke up must not count twice).
    mutating func claim(_ id: ConnectionID, epoch: UInt32, steps: [EpochStep], shard: UInt32, attempt: UInt32,
                        _ out: inout [CoordinatorDirective]) -> Bool {
        guard currentEpoch == Int(epoch), let step = currentStep, steps.contains(step),
              work.isCurrent(shard: Int(shard), attempt: attempt, connection: id) else {
            out.append(.log(.debug, "ignored a stale result for shard \(shard) attempt \(attempt) from \(peers[id]?.address ?? "?")"))
            return false
        }
        return true
    }

    mutating func markDone(_ id: ConnectionID, _ shard: Int, rows: Int, _ out: inout [CoordinatorDirective]) {
        if currentStep == .score { rowsScored += rows }
        work.complete(shard)
        peers[id]?.inFlight.remove(shard)
        let worker = peers[id].map { "\($0.name)@\($0.address)" } ?? ""
        out.append(.progress(PhaseProgress(epoch: currentEpoch ?? 0, phase: currentStep?.name ?? "", shardsDone: work.doneCount,
                                           shardsTotal: work.total, rowsDone: rows, finished: work.isComplete, worker: worker)))
    }

    /// A result from a worker: checked against the assignment in flight, journaled, stored.
    mutating func acceptResult(_ id: ConnectionID, _ message: Message, _ out: inout [CoordinatorDirective]) {
        guard let (shard, (epoch, attempt)) = resultKey(message).map({ ($0.shard, $0.tag) }),
              let step = stepOf(message),
              claim(id, epoch: epoch, steps: [step], shard: UInt32(shard), attempt: attempt, &out) else { return }
        if let problem = store(message) {
            protocolError(id, WireError(code: .malformedField, message: problem), &out)
            return
        }
        markDone(id, shard, rows: rowCount(message), &out)
        // Live training and evaluation tasks are not journaled: a live run is not resumable.
        let journaled = step != .evaluate && !isTrainStep(step)
        if work.isComplete {
            // The step's last result is journaled before anything is built from the results.
            if journaled { out.append(.journal(.result(message))) }
            stepComplete(&out)
        } else {
            // The freed slot's next assignment goes out before the journal write, so the worker
            // computes while the coordinator writes; an assignment needs no durability. The
            // write is synced with the others of this loop turn (group commit): nothing is
            // built from this result until the step completes, whose journal syncs first.
            assignWork(&out)
            if journaled { out.append(.journalDeferred(.result(message))) }
        }
    }

    /// The shard (or part) a result answers, and its epoch and attempt.
    func resultKey(_ message: Message) -> (shard: Int, tag: (UInt32, UInt32))? {
        switch message {
        case let .partialSum(sum): return (Int(sum.shard), (sum.epoch, sum.attempt))
        case let .scores(scores): return (Int(scores.shard), (scores.epoch, scores.attempt))
        case let .partPicks(picks): return (Int(picks.part), (picks.epoch, picks.attempt))
        case let .taskResult(result): return (Int(result.task), (result.epoch, result.attempt))
        default: return nil
        }
    }

    func isTrainStep(_ step: EpochStep) -> Bool {
        if case .train = step { return true }
        return false
    }

    func stepOf(_ message: Message) -> EpochStep? {
        switch message {
        case .partialSum: return configuration.method.reduction.map { .reduce($0) }
        case .scores: return .score
        case .partPicks: return .diversity
        case .taskResult: return currentStep.flatMap { isTrainStep($0) || $0 == .evaluate ? $0 : nil }
        default: return nil
        }
    }

    func rowCount(_ message: Message) -> Int {
        switch message {
        case let .partialSum(sum): return Int(sum.rowCount)
        case let .scores(scores): return Int(scores.rowCount)
        case let .partPicks(picks): return diversity.parts[Int(picks.part)].count
        case let .taskResult(result): return training?.tasks[Int(result.task)].count ?? 0
        default: return 0
        }
    }

    /// A failed shard goes back in line for another worker; one that fails
    /// `maxShardFailures` times in a row is a poison shard and stops the run, naming it.
    mutating func shardFailed(_ id: ConnectionID, _ failure: ShardFailure, _ out: inout [CoordinatorDirective]) {
        guard let step = currentStep,
              claim(id, epoch: failure.epoch, steps: [step], shard: failure.shard, attempt: failure.attempt, &out) else { return }
        let shard = Int(failure.shard)
        let what: String
        if step == .diversity {
            what = "part \(shard) (\(diversity.parts[shard].count) candidates)"
        } else {
            let rows = layout(for: step).rows(of: shard)
            let set = step == .reduce(.validationSum) ? "validation rows" : "rows"
            what = "shard \(shard) (\(set) \(rows.lowerBound)..<\(rows.upperBound))"
        }
        peers[id]?.inFlight.remove(shard)
        let failures = work.fail(shard)
        out.append(.log(.warning, "\(what) failed on worker \(peers[id]!.workerID) (failure \(failures) of \(Self.maxShardFailures)): \(failure.reason)"))
        if failures >= Self.maxShardFailures {
            fail("\(what) failed \(failures) times, last on worker \(peers[id]!.workerID): \(failure.reason)", &out)
        } else {
            assignWork(&out)
        }
    }

    static let maxShardFailures = 3
}
