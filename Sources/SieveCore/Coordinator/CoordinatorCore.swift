import SievePolicy
import SieveWire

/// The coordinator's logic as a sans-IO state machine: events in, directives out, time given as
/// a value. It never touches a socket or a file, so every rule here is tested without either.
///
/// One epoch of gradalign runs two phases over fixed shards: `validationSum` (workers return
/// Float64 partial sums of validation gradients; the coordinator adds them in shard order) and
/// `score` (workers score their training rows against the broadcast reference). Then the
/// coordinator ranks all rows, asks the shell to write the epoch, and sends workers the curriculum.
public struct CoordinatorCore {
    public let configuration: RunConfiguration
    public internal(set) var shape: PoolShape
    var validationLayout: ShardLayout
    var trainingLayout: ShardLayout

    var now: UInt64 = 0
    var peers: [ConnectionID: Peer] = [:]
    var nextWorkerID: UInt32 = 1
    /// Ids of welcomed connections that left before they were ready (refused, lost): the next
    /// welcome takes the lowest, so a refused worker does not use up an id.
    var freeWorkerIDs: [UInt32] = []
    var nextRequestID: UInt32 = 1
    var stage: Stage = .waitingForWorkers
    var workersSeen: [String] = []
    var work = PhaseWork(shards: 0)
    var partialSums: [[Double]?] = []
    var reference: [Double] = []
    /// Whether this epoch's reference went out (late joiners get it too); limr's is empty when
    /// the epoch has no `rewards` and the score step gathers the success history instead.
    var referenceAnnounced = false
    /// The method's definition: its signals, columns, reduction, selection and feedback.
    let method: any MethodDefinition
    /// What the method carries between epochs (GAIN-RL's mu, limr's success history).
    var methodState: MethodState
    /// The scores curriculum.jsonl shows when they are not the table's column 0 (limr's random
    /// warm-up epochs show 0, as random does).
    var curriculumScores: [Double]?
    /// The epoch's scores, as the workers sent them (or as the method's selection rebuilt them).
    var table: ScoreTable
    var pendingCurriculum: CurriculumMessage?
    var diversity = DiversityState()
    var epochRecords: [EpochRecord] = []
    var writingRecord: EpochRecord?
    var restored = RestoredRun()
    var training: TrainingState?
    var lastCurriculum: [Int] = []
    /// Follow mode: epochs whose data arrived, with their shapes.
    var arrived: [Int: PoolShape] = [:]
    var rowsScored = 0
    var epochSeconds: [Int: Double] = [:]
    var epochStartedAt: UInt64 = 0
    var lastEpoch = 0
    var draining = false
    /// The first tick's time: the run starts there (and, on resume, may end there).
    var startedAt: UInt64?
    /// When the coordinator began to wait for what it waits for now, and last said so.
    var waitingSince: UInt64 = 0
    var lastWaitNotice: UInt64 = 0
    /// Follow mode: the trainer wrote DONE.
    var trainerDone = false
    /// Whether jobs (selection, optimizer steps) go to the shell to run off the loop thread
    /// (`.compute`); false runs them inline, as tests and embedders may.
    public var offloadsJobs = false
    var nextJobID: UInt64 = 1
    /// The job whose result the core waits for.
    var pendingJob: UInt64?

    enum Stage: Equatable {
        case waitingForWorkers
        case running(epoch: Int, step: EpochStep)
        case writing(epoch: Int)
        /// Follow mode: waiting for the trainer to finish writing this epoch's data.
        case waitingForData(epoch: Int)
        case finished
    }

    struct Peer {
        var address: String
        var state: PeerState
        var name = ""
        var slots = 1
        var workerID: UInt32 = 0
        var lastSeen: UInt64
        var connectedAt: UInt64
        var inFlight: Set<Int> = []

        var isHandshaking: Bool {
            switch state {
            case .handshaking, .challenged: return true
            case .welcomed, .ready: return false
            }
        }
    }

    enum PeerState: Equatable {
        case handshaking
        /// Sent a challenge for the cluster token; waits for `auth`.
        case challenged(nonce: [UInt8], hello: Hello, requestID: UInt32)
        case welcomed
        case ready
    }

    /// Draws the handshake's challenge nonces (32 bytes). Injected, so that the core holds no
    /// source of randomness of its own and a test can fix the challenge.
    let drawNonce: @Sendable () -> [UInt8]

    public init(configuration: RunConfiguration, shape: PoolShape, nonce: @escaping @Sendable () -> [UInt8] = ClusterToken.nonce) {
        drawNonce = nonce
        self.configuration = configuration
        self.shape = shape
        validationLayout = ShardLayout(total: shape.validationRows, size: configuration.validationShardRows)
        trainingLayout = ShardLayout(total: shape.rows, size: configuration.shardRows)
        method = configuration.method.definition
        methodState = MethodState(rows: shape.rows)
        table = ScoreTable(rows: shape.rows)
    }

    /// A live run: the coordinator holds the policy's weights and trains them between epochs.
    public init(configuration: RunConfiguration, shape: PoolShape, initialWeights: [Float],
                nonce: @escaping @Sendable () -> [UInt8] = ClusterToken.nonce) {
        self.init(configuration: configuration, shape: shape, nonce: nonce)
        if let plan = configuration.training {
            training = TrainingState(parameters: initialWeights,
                                     optimizer: AdamW(parameterCount: initialWeights.count, learningRate: plan.learningRate))
        }
    }

    public var isFinished: Bool { stage == .finished }

    public mutating func handle(_ event: CoordinatorEvent) -> [CoordinatorDirective] {
        var out: [CoordinatorDirective] = []
        switch event {
        case let .connected(id, address):
            peers[id] = Peer(address: address, state: .handshaking, lastSeen: now, connectedAt: now)
            out.append(.log(.debug, "connection from \(address)"))
            if peers.count > configuration.maxConnections {
                reject(id, .tooManyConnections, "the coordinator already has \(configuration.maxConnections) connections", &out)
            }
        case let .received(id, message, requestID):
            guard peers[id] != nil else { break }
            peers[id]!.lastSeen = now
            receive(id, message, requestID, &out)
        case let .protocolError(id, error):
            protocolError(id, error, &out)
        case let .disconnected(id):
            disconnected(id, &out)
        case let .tick(nowMillis):
            now = nowMillis
            if startedAt == nil { start(&out) }
            checkTimeouts(&out)
            checkWaiting(&out)
        case let .epochWritten(epoch, error):
            epochWritten(epoch, error, &out)
        case let .finalGreedyDone(epoch, result):
            finalGreedyDone(epoch, result, &out)
        case let .dataArrived(epoch, shape):
            arrived[epoch] = shape
            if stage == .waitingForData(epoch: epoch) { startFollowedEpoch(epoch, &out) }
        case .trainerDone:
            trainerIsDone(&out)
        case let .computed(id, result):
            jobDone(id, result, &out)
        }
        checkDrained(&out)
        return out
    }

    /// Takes the journal of an earlier attempt at this run: finished epochs are skipped, and
    /// finished shards count as done when their step comes round. Call before any event.
    public mutating func restore(_ records: [JournalRecord]) {
        for record in records {
            switch record {
            case let .result(message):
                if let (shard, tag) = resultKey(message).map({ ($0.shard, $0.tag) }), shard >= 0 {
                    restored.results[Int(tag.0), default: []].append(message)
                }
            case let .epochWritten(epochRecord, nextMu):
                epochRecords.removeAll { $0.epoch == epochRecord.epoch }
                epochRecords.append(epochRecord)
                methodState.mu = nextMu
            case let .finalGreedy(epoch, outcome):
                restored.finalGreedy[epoch] = outcome
            case .header:
                break
            }
        }
        epochRecords.sort { $0.epoch < $1.epoch }
        // limr's success history of the finished epochs, from their journaled score results.
        for record in epochRecords {
            if let success = Self.successColumn(restored.results[record.epoch] ?? [], rows: shape.rows) {
                methodState.history.record(epoch: record.epoch, success: success)
            }
        }
    }

    /// Every row's `success` from an epoch's score results (the first result for each row), or
    /// nil when they carry no such column or leave a row uncovered.
    static func successColumn(_ results: [Message], rows: Int) -> [Float]? {
        var values = [Float](repeating: 0, count: rows)
        var covered = [Bool](repeating: false, count: rows), coveredCount = 0
        for case let .scores(scores) in results {
            guard let column = scores.columns.firstIndex(of: "success") else { continue }
            // Journaled frames are checked like any peer's: values that do not fit are skipped, not trapped on.
            guard let start = Int(exactly: scores.rowStart), let count = Int(exactly: scores.rowCount), start >= 0, count <= rows,
                start <= rows - count, scores.values.count == count * scores.columns.count
            else { continue }
            let width = scores.columns.count
            for offset in 0..<Int(scores.rowCount) where !covered[start + offset] {
                values[start + offset] = Float(scores.values[offset * width + column])
                covered[start + offset] = true
                coveredCount += 1
            }
        }
        return coveredCount == rows && rows > 0 ? values : nil
    }

    /// The first epoch that the journal does not show as written.
    var firstUnfinishedEpoch: Int { (epochRecords.map(\.epoch).max() ?? 0) + 1 }

    /// Stops the run from outside the protocol: a signal, or the shell's own failure.
    ///
    /// After the run finished (the shell failing to journal or sync the run's last records,
    /// which it does while carrying out the finishing directives), the outcome still becomes a
    /// failure: what the journal lacks was never made durable, and exiting 0 would hide it.
    public mutating func abort(_ reason: String) -> [CoordinatorDirective] {
        guard stage != .finished else {
            return [.log(.error, "\(reason) (after the run's last epoch: the journal may lack its last records; --resume redoes what it lacks)"),
                    .finish(.failure(reason))]
        }
        var out: [CoordinatorDirective] = []
        fail(reason, &out)
        return out
    }
}

/// What the journal of an interrupted run holds for the epochs still to finish.
struct RestoredRun {
    var results: [Int: [Message]] = [:]
    var finalGreedy: [Int: GreedyOutcome] = [:]
}
