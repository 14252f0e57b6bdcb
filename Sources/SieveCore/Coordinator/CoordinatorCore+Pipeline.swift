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
        scoreColumns = []
        scoreValues = []
        if buildsLIMRHistory {
            // No reduction: the score step gathers every row's success into the history, and
            // the empty reference tells the workers that this is what limr's score step is.
            out.append(.log(.info, "epoch \(epoch): limr without rewards: gathering every row's success for the history"))
            announceReference(epoch, &out)
            beginScoring(epoch, &out)
        } else if let reduction = configuration.method.reduction {
            let layout = self.layout(for: .reduce(reduction))
            out.append(.log(.info, "epoch \(epoch): \(EpochStep.reduce(reduction).name) over \(layout.total) rows in \(layout.count) shard(s)"))
            partialSums = Array(repeating: nil, count: layout.count)
            begin(epoch, .reduce(reduction), shards: layout.count, &out)
            if layout.count == 0 { finishReduction(&out) }
        } else if configuration.method.scoresRows {
            beginScoring(epoch, &out)
        } else {
            stage = .running(epoch: epoch, step: .score)
            select(&out)
        }
    }

    /// The length of the reduced vector: d for gradient sums, K for limr's reward sums.
    var reductionLength: Int { configuration.method == .limr ? shape.rewardEpochs : shape.dimension }

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
            guard rows.count == min(diversity.budget, allowed.count), rows.allSatisfy(allowed.contains), Set(rows).count == rows.count else {
                return "partPicks for part \(part) has \(rows.count) rows; expected \(min(diversity.budget, allowed.count)) distinct rows of the part"
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
        switch configuration.method {
        case .gradalign:
            let norm = total.reduce(0) { $0 + $1 * $1 }.squareRoot()
            guard norm > 0 || configuration.training != nil else {
                fail("the validation gradients sum to the zero vector, so gradalign has no direction to align with", &out)
                return
            }
            if norm == 0 { out.append(.log(.warning, "epoch \(epoch): the policy's validation gradients sum to zero; every row scores 0 this epoch")) }
            out.append(.log(.info, "epoch \(epoch): |g_val| = \(norm)"))
        case .limr:
            do {
                _ = try LIMR.denominator(mean: LIMR.mean(sum: total, rowCount: shape.rows))
            } catch {
                fail("\(error)", &out)
                return
            }
        default:
            break
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
    var buildsLIMRHistory: Bool { configuration.method == .limr && shape.rewardEpochs == 0 }

    mutating func beginScoring(_ epoch: Int, _ out: inout [CoordinatorDirective]) {
        out.append(.log(.info, "epoch \(epoch): scoring \(shape.rows) rows in \(trainingLayout.count) shard(s)"))
        scoreColumns = []
        scoreValues = []
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
        let accepted = configuration.method.acceptedScoreColumns(gathersSuccess: buildsLIMRHistory)
        guard accepted.contains(scores.columns) else {
            return "scores for shard \(shard) have columns \(scores.columns); \(configuration.method.rawValue) sends " +
                accepted.map { "\($0)" }.joined(separator: " or ")
        }
        guard scoreColumns.isEmpty || scores.columns == scoreColumns, scores.rowStart == UInt64(rows.lowerBound),
              Int(scores.rowCount) == rows.count, scores.values.count == rows.count * scores.columns.count,
              scores.values.allSatisfy(\.isFinite) else {
            let expected = scoreColumns.isEmpty ? "" : ", columns \(scoreColumns) (as the epoch's other shards)"
            return "scores for shard \(shard) cover rows \(scores.rowStart)+\(scores.rowCount) with columns \(scores.columns) and \(scores.values.count) values; expected rows \(rows.lowerBound)+\(rows.count)\(expected), finite values"
        }
        if scoreColumns.isEmpty {
            scoreColumns = scores.columns
            scoreValues = [Double](repeating: 0, count: shape.rows * scoreColumns.count)
        }
        let width = scoreColumns.count
        scoreValues.withUnsafeMutableBufferPointer { target in
            for (offset, value) in scores.values.enumerated() { target[rows.lowerBound * width + offset] = value }
        }
        return nil
    }

    /// One column of the score table, by name.
    func column(_ name: String) -> [Double]? {
        guard let index = scoreColumns.firstIndex(of: name) else { return nil }
        let width = scoreColumns.count
        return (0..<shape.rows).map { scoreValues[$0 * width + index] }
    }

    /// Applies the method's selection to the gathered scores; with representativeness on, the
    /// selection (enlarged by the pool factor) becomes the candidates of GreeDi.
    mutating func select(_ out: inout [CoordinatorDirective]) {
        guard let epoch = currentEpoch else { return }
        let parameters = configuration.parameters
        let wanted = parameters.budget.map { parameters.diversity ? $0 * parameters.poolFactor : $0 }
        if buildsLIMRHistory { return selectFromHistory(epoch, budget: wanted, &out) }
        var variant: [Double]?
        if configuration.method == .gradalign && parameters.gradalignScore != .sim {
            // dot and simacc rank by a score made from the workers' columns; the curriculum
            // carries it as each row's score.
            variant = parameters.gradalignScore.scores(column: { self.column($0) })
            guard variant != nil else {
                fail("gradalign --gradalign-score \(parameters.gradalignScore.rawValue): workers sent no success/cosine/grad_norm column", &out)
                return
            }
            curriculumScores = variant
        }
        let selection = EpochSelection.select(method: configuration.method, parameters: parameters, budget: wanted,
                                              epoch: epoch, mu: gainrlMu, rows: shape.rows,
                                              column: { name in name == "score" && variant != nil ? variant : self.column(name) })
        switch selection {
        case let .failure(error):
            fail("\(error)", &out)
        case let .success(rows):
            selected(epoch, rows, &out)
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

    /// limr from the history: the epoch's success joins it, then `LIMRHistory.select` draws
    /// random's rows while fewer than `--limr-history-epochs` earlier epochs are recorded, and
    /// scores every row from the earlier epochs after that. The score table becomes
    /// success (warm-up) or score, distance, success.
    mutating func selectFromHistory(_ epoch: Int, budget: Int?, _ out: inout [CoordinatorDirective]) {
        let parameters = configuration.parameters
        guard let success = column("success") else {
            fail("limr: workers sent no success column for the history", &out)
            return
        }
        limrHistory.record(epoch: epoch, success: success.map { Float($0) })
        let selection: LIMRHistory.Selection
        do {
            selection = try limrHistory.select(epoch: epoch, minimumEpochs: parameters.limrHistoryEpochs,
                                               threshold: parameters.threshold, budget: budget, seed: parameters.seed)
        } catch {
            fail("\(error) (over the success history of epochs \(limrHistory.epochs(before: epoch)))", &out)
            return
        }
        if let scores = selection.scores, let distances = selection.distances {
            out.append(.log(.info, "epoch \(epoch): limr scores from the success history of epoch(s) \(selection.historyEpochs)"))
            scoreColumns = ["score", "distance", "success"]
            var table = [Double](repeating: 0, count: shape.rows * 3)
            for row in 0..<shape.rows { (table[3 * row], table[3 * row + 1], table[3 * row + 2]) = (scores[row], distances[row], success[row]) }
            scoreValues = table
        } else {
            let have = limrHistory.epochs(before: epoch).count
            out.append(.log(.info, "epoch \(epoch): limr has \(have) of \(parameters.limrHistoryEpochs) epoch(s) of success history; this epoch's curriculum is random's draw"))
            scoreColumns = ["success"]
            scoreValues = success
            curriculumScores = [Double](repeating: 0, count: shape.rows)
        }
        selected(epoch, selection.rows, &out)
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
        let scores = curriculumScores ?? (scoreColumns.isEmpty ? [Double](repeating: 0, count: shape.rows) : column(scoreColumns[0])!)
        let aligns = configuration.method == .gradalign || configuration.method == .learnalign
        let norm = aligns ? reference.reduce(0) { $0 + $1 * $1 }.squareRoot() : nil
        let usedMu = configuration.method == .gainrl ? gainrlMu : nil
        if configuration.method == .gainrl, let success = column("success"), let angles = column("angle"),
           let feedback = GainRL.feedback(curriculum: picked, success: success.map { Float($0) }, angles: angles) {
            gainrlMu = GainRL.nextMu(gainrlMu, accuracy: feedback.accuracy, meanAngle: feedback.meanAngle,
                                     parameters: configuration.parameters.gainrl)
            out.append(.log(.info, "epoch \(epoch): gainrl acc = \(feedback.accuracy), Cbar = \(feedback.meanAngle); mu \(usedMu!) -> \(gainrlMu)"))
        }
        stage = .writing(epoch: epoch)
        writingRecord = EpochRecord(epoch: epoch, selected: picked.count, referenceNorm: norm,
                                              facilityLocationValue: facilityLocationValue, gainrlMu: usedMu)
        out.append(.log(.info, "epoch \(epoch): selected \(picked.count) of \(shape.rows) rows"))
        out.append(.writeEpoch(EpochResult(epoch: epoch, curriculum: picked.map { ($0, scores[$0]) }, columns: scoreColumns,
                                           values: scoreValues, referenceNorm: norm,
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
            out.append(.journal(.epochWritten(record, nextMu: gainrlMu)))
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
}
