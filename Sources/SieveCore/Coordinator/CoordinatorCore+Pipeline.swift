import SieveSelect
import SieveWire

/// The epoch's method pipeline: reduction, scoring, the method's selection, GreeDi, the epoch's
/// files and what comes after them.
extension CoordinatorCore {
    mutating func startEpoch(_ epoch: Int, _ out: inout [CoordinatorDirective]) {
        epochStartedAt = now
        lastEpoch = epoch
        broadcastWeights(epoch: epoch, &out)
        reference = []
        referenceAnnounced = false
        curriculumScores = nil
        table = ScoreTable(rows: shape.rows)
        if gathersSuccess {
            // No reduction: the score step gathers every row's success into the history, and
            // the empty reference tells the workers that this is what limr's score step is.
            out.append(.log(.info, "epoch \(epoch): limr without rewards: gathering every row's success for the history"))
            announceReference(epoch, &out)
            beginScoring(epoch, &out)
        } else if let reduction = method.reduction?.phase {
            let layout = self.layout(for: .reduce(reduction))
            out.append(.log(.info, "epoch \(epoch): \(EpochStep.reduce(reduction).name) over \(layout.total) rows in \(layout.count) shard(s)"))
            partialSums = Array(repeating: nil, count: layout.count)
            begin(epoch, .reduce(reduction), shards: layout.count, &out)
            if layout.count == 0 { finishReduction(&out) }
        } else if method.scoresRows {
            beginScoring(epoch, &out)
        } else {
            stage = .running(epoch: epoch, step: .score)
            select(&out)
        }
    }

    /// The length of the reduced vector: d for gradient sums, K for limr's reward sums.
    var reductionLength: Int { method.reduction == .rewardHistories ? shape.rewardEpochs : shape.dimension }

    /// Checks a result's shape against the step and stores it; returns the problem, if any.
    mutating func store(_ message: Message) -> String? {
        switch message {
        case let .partialSum(sum):
            let shard = Int(sum.shard)
            let rows = layout(for: stepOf(message)!).rows(of: shard)
            guard shard < partialSums.count, sum.sum.count == reductionLength, sum.rowCount == UInt64(rows.count),
                  sum.sum.allSatisfy(\.isFinite) else {
                return "partialSum for shard \(shard) has \(sum.sum.count) values for \(sum.rowCount) rows; expected \(reductionLength) finite values for \(rows.count) rows"
            }
            partialSums[shard] = sum.sum
        case let .scores(scores):
            return storeScores(scores)
        case let .partPicks(picks):
            let part = Int(picks.part)
            guard part < diversity.parts.count else { return "partPicks for part \(part), which does not exist" }
            let allowed = Set(diversity.parts[part])
            let rows = picks.picks.map { Int($0) }
            guard rows.count == diversity.partBudget(part), rows.allSatisfy(allowed.contains), Set(rows).count == rows.count else {
                return "partPicks for part \(part) has \(rows.count) rows; expected \(diversity.partBudget(part)) distinct rows of the part"
            }
            diversity.picks[part] = rows
        case let .taskResult(result):
            return storeTaskResult(result)
        default:
            return "\(message.type) is not a result"
        }
        return nil
    }

    /// The reference = the shard sums added in shard order in Float64, so it is the same bits
    /// whatever the number of workers. Each method checks that its reference is usable.
    mutating func finishReduction(_ out: inout [CoordinatorDirective]) {
        guard let epoch = currentEpoch else { return }
        var total = [Double](repeating: 0, count: reductionLength)
        for partial in partialSums {
            for j in total.indices { total[j] += partial![j] }
        }
        do {
            let notes = try method.checkReference(total, rows: shape.rows, live: configuration.training != nil)
            for (level, text) in notes { out.append(.log(level, "epoch \(epoch): \(text)")) }
        } catch {
            fail("\(error)", &out)
            return
        }
        reference = total
        announceReference(epoch, &out)
        beginScoring(epoch, &out)
    }

    /// Sends the epoch's reference to every ready worker (and, from now on, to late joiners).
    mutating func announceReference(_ epoch: Int, _ out: inout [CoordinatorDirective]) {
        referenceAnnounced = true
        for id in peers.keys.sorted() where peers[id]!.state == .ready {
            out.append(.send(id, .reference(Reference(epoch: UInt32(epoch), vector: reference)), requestID: 0))
        }
    }

    /// limr on data without `rewards` (a live policy, a followed epoch that carries none): the
    /// coordinator keeps the reward history itself, from each epoch's success.
    var gathersSuccess: Bool { method.keepsHistory && shape.rewardEpochs == 0 }

    mutating func beginScoring(_ epoch: Int, _ out: inout [CoordinatorDirective]) {
        out.append(.log(.info, "epoch \(epoch): scoring \(shape.rows) rows in \(trainingLayout.count) shard(s)"))
        table = ScoreTable(rows: shape.rows)
        begin(epoch, .score, shards: trainingLayout.count, &out)
        if trainingLayout.count == 0 { select(&out) }
    }

    /// Checks a shard's scores in full (rows, column names for the method, values) before the
    /// first good message fixes the epoch's columns: a bad message never decides what the
    /// correct workers' scores must look like.
    mutating func storeScores(_ scores: ShardScores) -> String? {
        let shard = Int(scores.shard)
        guard shard < trainingLayout.count else { return "scores for shard \(shard), which does not exist" }
        let rows = trainingLayout.rows(of: shard)
        let accepted = configuration.method.acceptedScoreColumns(gathersSuccess: gathersSuccess)
        guard accepted.contains(scores.columns) else {
            return "scores for shard \(shard) have columns \(scores.columns); \(configuration.method.rawValue) sends " +
                accepted.map { "\($0)" }.joined(separator: " or ")
        }
        guard table.isEmpty || scores.columns == table.columns, scores.rowStart == UInt64(rows.lowerBound),
              Int(scores.rowCount) == rows.count, scores.values.count == rows.count * scores.columns.count,
              scores.values.allSatisfy(\.isFinite) else {
            let expected = table.isEmpty ? "" : ", columns \(table.columns) (as the epoch's other shards)"
            return "scores for shard \(shard) cover rows \(scores.rowStart)+\(scores.rowCount) with columns \(scores.columns) and \(scores.values.count) values; expected rows \(rows.lowerBound)+\(rows.count)\(expected), finite values"
        }
        table.store(rowStart: rows.lowerBound, rowCount: rows.count, columns: scores.columns, rowMajor: scores.values)
        return nil
    }

    /// Applies the method's selection to the gathered scores; with representativeness on, the
    /// selection (enlarged by the pool factor) becomes the candidates of GreeDi.
    mutating func select(_ out: inout [CoordinatorDirective]) {
        guard let epoch = currentEpoch else { return }
        let parameters = configuration.parameters
        let wanted = parameters.budget.map { parameters.diversity ? $0 * parameters.poolFactor : $0 }
        let context = SelectionContext(parameters: parameters, budget: wanted, epoch: epoch, rows: shape.rows,
                                       gathersSuccess: gathersSuccess)
        launch(.selection(SelectionJob(method: configuration.method, table: table, context: context, state: methodState)), &out)
    }

    /// The selection job is back: its log, the table it rebuilt, the scores the curriculum shows.
    mutating func selectionDone(_ result: Result<SelectionJob.Outcome, MethodFailure>, _ out: inout [CoordinatorDirective]) {
        guard let epoch = currentEpoch else { return }
        switch result {
        case let .failure(failure):
            fail("\(failure)", &out)
        case let .success(outcome):
            methodState = outcome.state
            let selection = outcome.selection
            if let log = selection.log { out.append(.log(.info, "epoch \(epoch): \(log)")) }
            if let rebuilt = selection.table { table = rebuilt }
            curriculumScores = selection.curriculumScores
            selected(epoch, selection.rows, &out)
        }
    }

    /// The method's selection is made: the curriculum, or GreeDi's candidates.
    mutating func selected(_ epoch: Int, _ rows: [Int], _ out: inout [CoordinatorDirective]) {
        let parameters = configuration.parameters
        guard parameters.diversity, let budget = parameters.budget, rows.count > budget else {
            finishEpoch(rows, facilityLocationValue: nil, &out)
            return
        }
        startDiversity(epoch, candidates: rows, budget: budget, &out)
    }

    mutating func startDiversity(_ epoch: Int, candidates: [Int], budget: Int, _ out: inout [CoordinatorDirective]) {
        let parts = FacilityLocation.partition(candidates: candidates.sorted(), parts: configuration.parameters.partitions)
        diversity = DiversityState(candidates: candidates, parts: parts, budget: budget,
                                   picks: Array(repeating: nil, count: parts.count))
        out.append(.log(.info, "epoch \(epoch): facility location over \(candidates.count) candidates in \(parts.count) part(s)"))
        begin(epoch, .diversity, shards: parts.count, &out)
    }

    /// GreeDi's second round runs on the coordinator (off the loop), unless the journal has it.
    mutating func requestFinalGreedy(_ out: inout [CoordinatorDirective]) {
        guard let epoch = currentEpoch else { return }
        stage = .running(epoch: epoch, step: .finalGreedy)
        if let outcome = restored.finalGreedy[epoch] {
            finishEpoch(outcome.picks, facilityLocationValue: outcome.value, &out)
            return
        }
        let union = Array(Set(diversity.picks.flatMap { $0! })).sorted()
        // Training for this epoch has not begun: the coordinator's weights are the ones the
        // epoch was scored with.
        out.append(.finalGreedy(FinalGreedyRequest(epoch: epoch, union: union, candidates: diversity.candidates.sorted(),
                                                   budget: diversity.budget, weights: training?.parameters)))
    }

    mutating func finalGreedyDone(_ epoch: Int, _ result: Result<GreedyOutcome, WorkerFailure>, _ out: inout [CoordinatorDirective]) {
        guard stage == .running(epoch: epoch, step: .finalGreedy) else { return }
        switch result {
        case let .failure(failure): fail("facility location failed: \(failure.message)", &out)
        case let .success(outcome):
            out.append(.journal(.finalGreedy(epoch: epoch, outcome: outcome)))
            finishEpoch(outcome.picks, facilityLocationValue: outcome.value, &out)
        }
    }

    /// Hands the epoch to the shell to write, and moves GAIN-RL's centre for the next epoch.
    mutating func finishEpoch(_ picked: [Int], facilityLocationValue: Double?, _ out: inout [CoordinatorDirective]) {
        guard let epoch = currentEpoch else { return }
        let scores = curriculumScores ?? (table.isEmpty ? [Double](repeating: 0, count: shape.rows) : table.values[0])
        let norm = method.reportsReferenceNorm ? reference.reduce(0) { $0 + $1 * $1 }.squareRoot() : nil
        let usedMu = method.usesMu ? methodState.mu : nil
        if let feedback = method.feedback(curriculum: picked, table: table, parameters: configuration.parameters, state: &methodState) {
            out.append(.log(.info, "epoch \(epoch): \(feedback)"))
        }
        stage = .writing(epoch: epoch)
        writingRecord = EpochRecord(epoch: epoch, selected: picked.count, referenceNorm: norm,
                                    facilityLocationValue: facilityLocationValue, gainrlMu: usedMu)
        out.append(.log(.info, "epoch \(epoch): selected \(picked.count) of \(shape.rows) rows"))
        out.append(.writeEpoch(EpochResult(epoch: epoch, curriculum: picked.map { ($0, scores[$0]) }, table: table, referenceNorm: norm,
                                           facilityLocationValue: facilityLocationValue, gainrlMu: usedMu)))
        pendingCurriculum = CurriculumMessage(epoch: UInt32(epoch), rows: picked.map { UInt64($0) }, scores: picked.map { scores[$0] })
        lastCurriculum = picked
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
        out.append(.log(.info, "epoch \(epoch): written; curriculum sent"))
        if let record = writingRecord {
            epochRecords.append(record)
            out.append(.journal(.epochWritten(record, nextMu: methodState.mu)))
        }
        writingRecord = nil
        if training != nil {
            stage = .running(epoch: epoch, step: .train(0))
            beginTraining(epoch, curriculum: lastCurriculum, &out)
        } else {
            continueAfter(epoch, &out)
        }
    }

    /// The next epoch, or the end of the run (also when every epoch was restored).
    mutating func continueAfter(_ epoch: Int, _ out: inout [CoordinatorDirective]) {
        if epoch == lastEpoch && epochSeconds[epoch] == nil { epochSeconds[epoch] = Double(now &- epochStartedAt) / 1000 }
        if epoch >= configuration.epochs {
            endRun(status: Done.success, message: "run complete", &out)
            out.append(.finish(.success(RunSummary(epochs: epochRecords, workersSeen: workersSeen))))
        } else if draining {
            stopDrained(&out)
        } else {
            beginOrAwait(epoch + 1, &out)
        }
    }
}

/// The candidates of GreeDi and what the parts returned.
struct DiversityState {
    var candidates: [Int] = []
    var parts: [[Int]] = []
    var budget = 0
    var picks: [[Int]?] = []

    /// Round 1's picks from part `part` (`FacilityLocation.partBudget`).
    func partBudget(_ part: Int) -> Int {
        FacilityLocation.partBudget(budget: budget, partSize: parts[part].count, parts: parts.count)
    }
}
