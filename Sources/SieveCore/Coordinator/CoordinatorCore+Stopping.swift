import SieveWire

/// How a run ends: success and failure tell the workers `done`; a drain (SIGTERM) stops
/// assigning and ends resumable once nothing is in flight.
extension CoordinatorCore {
    /// SIGTERM: stop assigning; once nothing is in flight the run stops, resumable.
    public mutating func drain() -> [CoordinatorDirective] {
        guard stage != .finished, !draining else { return [] }
        draining = true
        var out: [CoordinatorDirective] = [.log(.info, "stopping: no new assignments; waiting for \(work.inFlightCount) shard(s) in flight")]
        checkDrained(&out)
        return out
    }

    /// Stops at once (a second signal, or the drain time ran out): shards in flight are lost
    /// and will be recomputed on resume.
    public mutating func stopNow() -> [CoordinatorDirective] {
        guard stage != .finished else { return [] }
        var out: [CoordinatorDirective] = []
        stopDrained(&out)
        return out
    }

    mutating func checkDrained(_ out: inout [CoordinatorDirective]) {
        guard draining, stage != .finished else { return }
        switch stage {
        case .waitingForWorkers, .waitingForData: stopDrained(&out)
        case let .running(_, step) where step != .finalGreedy && work.inFlightCount == 0 && pendingJob == nil: stopDrained(&out)
        default: break
        }
    }

    /// Ends a drained run: workers are disconnected without `done`, so they retry and rejoin a
    /// resumed coordinator.
    mutating func stopDrained(_ out: inout [CoordinatorDirective]) {
        stage = .finished
        for id in peers.keys.sorted() { out.append(.close(id, flush: true)) }
        peers.removeAll()
        out.append(.finish(.interrupted("stopped before the run finished; everything done so far is in the journal, continue with --resume")))
    }

    /// Stops the run: every worker is told why and disconnected.
    mutating func fail(_ message: String, _ out: inout [CoordinatorDirective]) {
        out.append(.log(.error, message))
        endRun(status: Done.failed, message: message, &out)
        out.append(.finish(.failure(message)))
    }

    mutating func endRun(status: UInt8, message: String, _ out: inout [CoordinatorDirective]) {
        stage = .finished
        for id in peers.keys.sorted() {
            if !peers[id]!.isHandshaking {
                out.append(.send(id, .done(Done(status: status, message: message)), requestID: 0))
            }
            out.append(.close(id, flush: true))
        }
        peers.removeAll()
    }
}
