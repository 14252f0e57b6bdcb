import SieveWire

/// Waiting: a run that has nothing left to do ends at once, and a coordinator that waits says
/// what for, every `waitNoticeMillis`, and gives up after `joinTimeoutMillis` when set.
extension CoordinatorCore {
    /// The first tick. A resumed run whose epochs are all in the journal is over: there is no
    /// work to give a worker, so it ends at once, successfully, instead of waiting for workers.
    mutating func start(_ out: inout [CoordinatorDirective]) {
        startedAt = now
        beginWaiting()
        let first = firstUnfinishedEpoch
        guard stage == .waitingForWorkers, first > configuration.epochs else { return }
        out.append(.log(.info, "every epoch (\(configuration.epochs)) is in the journal: the run is already complete; nothing to do"))
        stage = .finished
        out.append(.finish(.success(RunSummary(epochs: epochRecords, workersSeen: workersSeen))))
    }

    mutating func beginWaiting() {
        waitingSince = now
        lastWaitNotice = now
    }

    /// What the coordinator waits for, if it waits: said every `waitNoticeMillis`; a join that
    /// takes longer than `joinTimeoutMillis` fails the run.
    mutating func checkWaiting(_ out: inout [CoordinatorDirective]) {
        let waited = now &- waitingSince
        switch stage {
        case .waitingForWorkers:
            let ready = peers.values.filter { $0.state == .ready }.count
            if let limit = configuration.joinTimeoutMillis, waited >= limit {
                fail("only \(ready) of \(configuration.expectWorkers) worker(s) joined within the join timeout (\(seconds(limit)) s, --join-timeout)", &out)
                return
            }
            if now &- lastWaitNotice >= configuration.waitNoticeMillis {
                lastWaitNotice = now
                out.append(.log(.info, "still waiting for workers: \(ready) of \(configuration.expectWorkers) joined after \(seconds(waited)) s"))
            }
        case let .waitingForData(epoch):
            if now &- lastWaitNotice >= configuration.waitNoticeMillis {
                lastWaitNotice = now
                out.append(.log(.info, "still waiting for the trainer's data of epoch \(epoch) (DATA/epochs/\(EpochRecord.name(epoch))/COMPLETE) after \(seconds(waited)) s"))
            }
        default:
            break
        }
    }

    /// Follow mode: the trainer is done. Waiting for an epoch it will not write ends the run
    /// successfully; an epoch under way finishes first.
    mutating func trainerIsDone(_ out: inout [CoordinatorDirective]) {
        guard configuration.follow, !trainerDone else { return }
        trainerDone = true
        if case let .waitingForData(epoch) = stage, arrived[epoch] == nil { endFollowing(after: epoch - 1, &out) }
    }

    mutating func endFollowing(after epoch: Int, _ out: inout [CoordinatorDirective]) {
        out.append(.log(.info, "the trainer is done (DATA/epochs/DONE) after epoch \(epoch)"))
        endRun(status: Done.success, message: "run complete: the trainer is done", &out)
        out.append(.finish(.success(RunSummary(epochs: epochRecords, workersSeen: workersSeen))))
    }

    func seconds(_ millis: UInt64) -> String {
        millis % 1000 == 0 ? "\(millis / 1000)" : "\(Double(millis) / 1000)"
    }
}
