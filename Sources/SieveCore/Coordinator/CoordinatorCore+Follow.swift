/// Follow mode: each epoch starts when the trainer's data for it has arrived.
extension CoordinatorCore {
    /// The epoch follow mode waits for, if it is waiting.
    public var awaitedEpoch: Int? {
        if case let .waitingForData(epoch) = stage { return epoch }
        return nil
    }

    /// Starts `epoch`, or in follow mode waits for its data first.
    mutating func beginOrAwait(_ epoch: Int, _ out: inout [CoordinatorDirective]) {
        guard configuration.follow else { return startEpoch(epoch, &out) }
        if arrived[epoch] != nil { return startFollowedEpoch(epoch, &out) }
        if trainerDone { return endFollowing(after: epoch - 1, &out) }
        stage = .waitingForData(epoch: epoch)
        beginWaiting()
        out.append(.log(.info, "waiting for the trainer's data of epoch \(epoch)"))
    }

    mutating func startFollowedEpoch(_ epoch: Int, _ out: inout [CoordinatorDirective]) {
        guard let arrival = arrived.removeValue(forKey: epoch) else { return }
        shape = arrival
        validationLayout = ShardLayout(total: arrival.validationRows, size: configuration.validationShardRows)
        trainingLayout = ShardLayout(total: arrival.rows, size: configuration.shardRows)
        startEpoch(epoch, &out)
    }
}
