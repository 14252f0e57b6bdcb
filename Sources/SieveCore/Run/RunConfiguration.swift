/// What a run computes, fixed before the first worker joins. The coordinator sends the parts a
/// worker needs in its welcome; the rest stays on the coordinator.
public struct RunConfiguration: Sendable, Equatable {
    public var method: SelectionMethod
    public var parameters: MethodParameters
    /// Epochs to run; `Int.max` in follow mode without `--epochs`: until the trainer is done.
    public var epochs: Int
    public var expectWorkers: Int
    public var shardRows: Int
    public var validationShardRows: Int
    public var dataPath: String
    public var runID: String
    public var heartbeatMillis: UInt32
    /// A worker silent this long (no frame at all) is declared lost and its shards go to others.
    public var workerTimeoutMillis: UInt64
    /// A connection that has not completed the handshake by then is closed.
    public var handshakeTimeoutMillis: UInt64
    /// The cluster token; nil means no authentication (the coordinator then listens on loopback).
    public var token: ClusterToken?
    /// Connections beyond this are refused with a reason.
    public var maxConnections: Int = 256
    /// Follow mode: each epoch waits for its data (`dataArrived`) instead of starting at once.
    public var follow = false
    /// While the coordinator waits (for workers to join, for a followed epoch's data), it says
    /// so this often.
    public var waitNoticeMillis: UInt64 = 10_000
    /// A run whose workers have not joined by then fails with the reason (`--join-timeout`);
    /// nil waits for ever.
    public var joinTimeoutMillis: UInt64?
    /// Live runs only: how the built-in policy trains on each curriculum. A live policy may
    /// solve (or fail) every validation problem, leaving gradalign no direction: that epoch then
    /// scores every row 0 (ranked by row) instead of failing the run.
    public var training: TrainingPlan?

    public init(method: SelectionMethod, parameters: MethodParameters, epochs: Int = 1, expectWorkers: Int, shardRows: Int = 4096,
                validationShardRows: Int = 4096, dataPath: String, runID: String, heartbeatMillis: UInt32 = 1000,
                workerTimeoutMillis: UInt64 = 10_000, handshakeTimeoutMillis: UInt64 = 10_000) {
        self.method = method
        self.parameters = parameters
        self.epochs = epochs
        self.expectWorkers = expectWorkers
        self.shardRows = shardRows
        self.validationShardRows = validationShardRows
        self.dataPath = dataPath
        self.runID = runID
        self.heartbeatMillis = heartbeatMillis
        self.workerTimeoutMillis = workerTimeoutMillis
        self.handshakeTimeoutMillis = handshakeTimeoutMillis
    }
}

/// The shape of the pool as the coordinator validated it.
public struct PoolShape: Sendable, Equatable {
    public var rows: Int
    public var validationRows: Int
    public var dimension: Int
    /// K, the epochs of the `rewards` history (0 without one).
    public var rewardEpochs: Int
    public var fingerprint: UInt64

    public init(rows: Int, validationRows: Int, dimension: Int, rewardEpochs: Int = 0, fingerprint: UInt64) {
        self.rows = rows
        self.validationRows = validationRows
        self.dimension = dimension
        self.rewardEpochs = rewardEpochs
        self.fingerprint = fingerprint
    }
}

/// Fixed blocks of rows: shard s holds rows [s * size, min((s + 1) * size, total)). The blocks
/// depend only on the data and the shard size, never on the workers, which is what makes a
/// result independent of how many workers computed it.
public struct ShardLayout: Sendable, Equatable {
    public let total: Int
    public let size: Int

    public init(total: Int, size: Int) {
        precondition(size > 0)
        self.total = total
        self.size = size
    }

    public var count: Int { (total + size - 1) / size }

    public func rows(of shard: Int) -> Range<Int> {
        let start = shard * size
        return start..<min(start + size, total)
    }
}
