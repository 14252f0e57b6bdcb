/// Work the core hands to the shell to run off the loop thread: a pure function of the values
/// it carries. Its result comes back as `CoordinatorEvent.computed` with the job's id; the core
/// accepts only the result of the job it waits for. A selection over millions of rows, or an
/// optimizer step over every weight, would otherwise hold the loop (heartbeats, frames) for
/// as long as it runs.
public struct CoreJob: Sendable {
    public var id: UInt64
    public var work: Work

    public enum Work: Sendable {
        /// The method's selection over the epoch's table.
        case selection(SelectionJob)
        /// One GRPO step: the tasks' sums averaged over the batch, then AdamW.
        case optimizerStep(OptimizerJob)
    }

    public func run() -> CoreJobResult {
        switch work {
        case let .selection(job): return .selection(job.run())
        case let .optimizerStep(job): return .optimizerStep(job.run())
        }
    }
}

public enum CoreJobResult: Sendable {
    case selection(Result<SelectionJob.Outcome, MethodFailure>)
    case optimizerStep(OptimizerJob.Outcome)
}

public struct SelectionJob: Sendable {
    var method: SelectionMethod
    var table: ScoreTable
    var context: SelectionContext
    var state: MethodState

    public struct Outcome: Sendable {
        var selection: MethodSelection
        var state: MethodState
    }

    func run() -> Result<Outcome, MethodFailure> {
        var state = self.state
        do {
            let selection = try method.definition.select(table, context, state: &state)
            return .success(Outcome(selection: selection, state: state))
        } catch let failure as MethodFailure {
            return .failure(failure)
        } catch {
            return .failure(MethodFailure("\(error)"))
        }
    }
}

public struct OptimizerJob: Sendable {
    var state: TrainingState
    var step: Int

    public struct Outcome: Sendable {
        var state: TrainingState
    }

    /// The tasks' sums added in task order in Float64, the mean taken over the batch, AdamW.
    func run() -> Outcome {
        var state = self.state
        let count = state.parameters.count
        var total = [Double](repeating: 0, count: count)
        for result in state.results {
            let values = result!
            for i in 0..<count { total[i] += values[i] }
            state.rewardSum += values[count]
            state.rewardCount += values[count + 1]
        }
        let scale = 1 / Double(max(state.batches[step].count, 1))
        let direction = total.map { Float($0 * scale) }
        state.optimizer.ascend(parameters: &state.parameters, direction: direction)
        return Outcome(state: state)
    }
}

extension CoordinatorCore {
    /// Runs `work` where the shell wants it: inline (`offloadsJobs` false: tests, embedding) or
    /// handed out as a `.compute` directive whose result comes back as `.computed`.
    mutating func launch(_ work: CoreJob.Work, _ out: inout [CoordinatorDirective]) {
        let job = CoreJob(id: nextJobID, work: work)
        nextJobID &+= 1
        pendingJob = job.id
        if offloadsJobs {
            out.append(.compute(job))
        } else {
            jobDone(job.id, job.run(), &out)
        }
    }

    mutating func jobDone(_ id: UInt64, _ result: CoreJobResult, _ out: inout [CoordinatorDirective]) {
        guard pendingJob == id, stage != .finished else { return }  // the run stopped or moved on meanwhile
        pendingJob = nil
        switch result {
        case let .selection(outcome): selectionDone(outcome, &out)
        case let .optimizerStep(outcome): stepDone(outcome.state, &out)
        }
    }
}
