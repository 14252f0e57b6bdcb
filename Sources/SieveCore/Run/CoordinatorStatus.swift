/// What an operator watches: counts the coordinator keeps as it runs.
public struct CoordinatorStatus: Sendable, Equatable {
    public var workers: Int
    public var shardsInFlight: Int
    public var rowsScored: Int
    public var epoch: Int
    public var epochSeconds: [Int: Double]

    /// Prometheus text exposition format, for node_exporter's textfile collector.
    public var prometheusText: String {
        var text = """
        # HELP gradsieve_rows_scored_total Rows scored since the coordinator started.
        # TYPE gradsieve_rows_scored_total counter
        gradsieve_rows_scored_total \(rowsScored)
        # HELP gradsieve_shards_in_flight Shards assigned to workers and not yet answered.
        # TYPE gradsieve_shards_in_flight gauge
        gradsieve_shards_in_flight \(shardsInFlight)
        # HELP gradsieve_workers Workers that completed the handshake and opened the data.
        # TYPE gradsieve_workers gauge
        gradsieve_workers \(workers)
        # HELP gradsieve_epoch The epoch under way (the last one when the run is over).
        # TYPE gradsieve_epoch gauge
        gradsieve_epoch \(epoch)
        # HELP gradsieve_epoch_seconds Wall time of each finished epoch.
        # TYPE gradsieve_epoch_seconds gauge

        """
        for epoch in epochSeconds.keys.sorted() {
            text += "gradsieve_epoch_seconds{epoch=\"\(epoch)\"} \(epochSeconds[epoch]!)\n"
        }
        return text
    }
}

extension CoordinatorCore {
    public var status: CoordinatorStatus {
        CoordinatorStatus(workers: peers.values.filter { $0.state == .ready }.count, shardsInFlight: work.inFlightCount,
                          rowsScored: rowsScored, epoch: currentEpoch ?? lastEpoch, epochSeconds: epochSeconds)
    }
}
