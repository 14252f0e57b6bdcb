import SievePolicy
import SieveSelect
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
    public private(set) var shape: PoolShape
    var validationLayout: ShardLayout
    var trainingLayout: ShardLayout

    var now: UInt64 = 0
    var peers: [ConnectionID: Peer] = [:]
    var nextWorkerID: UInt32 = 1
    var nextRequestID: UInt32 = 1
    var stage: Stage = .waitingForWorkers
    var workersSeen: [String] = []
    var work = PhaseWork(shards: 0)
    var partialSums: [[Double]?] = []
    var reference: [Double] = []
    /// Whether this epoch's reference went out (late joiners get it too); limr's is empty when
    /// the epoch has no `rewards` and the score step gathers the success history instead.
    var referenceAnnounced = false
    /// limr without `rewards`: every row's success in each epoch so far.
    var limrHistory: LIMRHistory
    /// The scores curriculum.jsonl shows when they are not the table's column 0 (limr's random
    /// warm-up epochs show 0, as random does).
    var curriculumScores: [Double]?
    var scoreColumns: [String] = []
    var scoreValues: [Double] = []
    var pendingCurriculum: CurriculumMessage?
    var diversity = DiversityState()
    /// GAIN-RL's centre mu, moved between epochs.
    var gainrlMu = 0.0
    var epochRecords: [RunRecord.EpochRecord] = []
    var writingRecord: RunRecord.EpochRecord?
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
        limrHistory = LIMRHistory(rowCount: shape.rows)
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
            checkTimeouts(&out)
        case let .epochWritten(epoch, error):
            epochWritten(epoch, error, &out)
        case let .finalGreedyDone(epoch, result):
            finalGreedyDone(epoch, result, &out)
        case let .dataArrived(epoch, shape):
            arrived[epoch] = shape
            if stage == .waitingForData(epoch: epoch) { startFollowedEpoch(epoch, &out) }
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
                gainrlMu = nextMu
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
                limrHistory.record(epoch: record.epoch, success: success)
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

    /// The epoch follow mode waits for, if it is waiting.
    public var awaitedEpoch: Int? {
        if case let .waitingForData(epoch) = stage { return epoch }
        return nil
    }

    /// Starts `epoch`, or in follow mode waits for its data first.
    mutating func beginOrAwait(_ epoch: Int, _ out: inout [CoordinatorDirective]) {
        guard configuration.follow else { return startEpoch(epoch, &out) }
        if arrived[epoch] != nil { return startFollowedEpoch(epoch, &out) }
        stage = .waitingForData(epoch: epoch)
        out.append(.log(.info, "waiting for the trainer's data of epoch \(epoch)"))
    }

    mutating func startFollowedEpoch(_ epoch: Int, _ out: inout [CoordinatorDirective]) {
        guard let arrival = arrived.removeValue(forKey: epoch) else { return }
        shape = arrival
        validationLayout = ShardLayout(total: arrival.validationRows, size: configuration.validationShardRows)
        trainingLayout = ShardLayout(total: arrival.rows, size: configuration.shardRows)
        startEpoch(epoch, &out)
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

    // MARK: Handshake

    private mutating func receive(_ id: ConnectionID, _ message: Message, _ requestID: UInt32,
                                  _ out: inout [CoordinatorDirective]) {
        switch (peers[id]!.state, message) {
        case let (.handshaking, .hello(hello)):
            if configuration.token != nil {
                let nonce = drawNonce()
                peers[id]!.state = .challenged(nonce: nonce, hello: hello, requestID: requestID)
                out.append(.send(id, .challenge(Challenge(nonce: nonce)), requestID: requestID))
            } else {
                welcome(id, hello, requestID, &out)
            }
        case let (.challenged(nonce, hello, helloID), .auth(auth)):
            let token = configuration.token!
            guard auth.nonce.count >= 16,
                  token.verify(auth.proof, expected: token.workerProof(challenge: nonce, workerNonce: auth.nonce)) else {
                reject(id, .unauthorized, "the cluster token proof does not match; check --token-file", &out)
                return
            }
            out.append(.send(id, .authProof(AuthProof(proof: token.coordinatorProof(challenge: nonce, workerNonce: auth.nonce))), requestID: helloID))
            welcome(id, hello, helloID, &out)
        case (.challenged, _):
            reject(id, .unauthorized, "expected auth after the challenge, not \(message.type)", &out)
        case (.handshaking, _):
            reject(id, .badHandshake, "the first message must be hello, not \(message.type)", &out)
        case let (.welcomed, .ready(ready)):
            becomeReady(id, ready, &out)
        case (.welcomed, .heartbeat), (.ready, .heartbeat):
            break
        case (.ready, .partialSum), (.ready, .scores), (.ready, .partPicks), (.ready, .taskResult):
            acceptResult(id, message, &out)
        case let (.ready, .shardFailed(failure)):
            shardFailed(id, failure, &out)
        case let (_, .error(error)):
            out.append(.log(.warning, "worker at \(peers[id]!.address) reported error \(error.code): \(error.message)"))
            drop(id, flush: false, &out)
        default:
            let error = WireError(code: .malformedField, message: "unexpected \(message.type) from a worker in state \(peers[id]!.state)")
            protocolError(id, error, &out)
        }
    }

    private mutating func welcome(_ id: ConnectionID, _ hello: Hello, _ requestID: UInt32,
                                  _ out: inout [CoordinatorDirective]) {
        if stage == .finished {
            reject(id, .runOver, "the run is over", &out)
            return
        }
        let workerID = nextWorkerID
        nextWorkerID += 1
        peers[id]!.state = .welcomed
        peers[id]!.name = hello.workerName
        peers[id]!.slots = max(1, Int(hello.slots))
        peers[id]!.workerID = workerID
        let welcome = Welcome(workerID: workerID, heartbeatMillis: configuration.heartbeatMillis,
                              runID: configuration.runID, dataPath: configuration.dataPath,
                              fingerprint: shape.fingerprint, method: configuration.method.rawValue,
                              shardRows: UInt32(configuration.shardRows),
                              validationShardRows: UInt32(configuration.validationShardRows))
        out.append(.send(id, .welcome(welcome), requestID: requestID))
    }

    private mutating func becomeReady(_ id: ConnectionID, _ ready: Ready, _ out: inout [CoordinatorDirective]) {
        guard ready.fingerprint == shape.fingerprint, ready.rows == UInt64(shape.rows) else {
            let reason = "worker data (fingerprint \(hex(ready.fingerprint)), \(ready.rows) rows) differs from the coordinator's (fingerprint \(hex(shape.fingerprint)), \(shape.rows) rows)"
            reject(id, .dataMismatch, reason, &out)
            return
        }
        peers[id]!.state = .ready
        let peer = peers[id]!
        workersSeen.append("\(peer.name)@\(peer.address)")
        out.append(.log(.info, "worker \(peer.workerID) (\(peer.name), \(peer.slots) slots) joined from \(peer.address)"))
        switch stage {
        case .waitingForWorkers:
            let readyCount = peers.values.filter { $0.state == .ready }.count
            if readyCount >= configuration.expectWorkers {
                let first = firstUnfinishedEpoch
                if first > 1 { out.append(.log(.info, "resuming at epoch \(first); epochs before it are in the journal")) }
                if first > configuration.epochs { continueAfter(first - 1, &out) } else { beginOrAwait(first, &out) }
            }
            else { out.append(.log(.info, "waiting for workers: \(readyCount) of \(configuration.expectWorkers) joined")) }
        case let .running(epoch, step) where step != .reduce(.validationSum) && step != .reduce(.trainingSum):
            broadcastWeights(epoch: epoch, to: [id], &out)
            if referenceAnnounced {
                out.append(.send(id, .reference(Reference(epoch: UInt32(epoch), vector: reference)), requestID: 0))
            }
            assignWork(&out)
        case let .running(epoch, _):
            broadcastWeights(epoch: epoch, to: [id], &out)
            assignWork(&out)
        case .writing, .waitingForData, .finished:
            break
        }
    }

    private mutating func reject(_ id: ConnectionID, _ code: RejectCode, _ reason: String,
                                 _ out: inout [CoordinatorDirective]) {
        let address = peers[id]?.address ?? "unknown peer"
        out.append(.log(.warning, "refused \(address): \(reason)"))
        out.append(.send(id, .reject(Reject(code: code.rawValue, reason: reason)), requestID: 0))
        drop(id, flush: true, &out)
    }

    mutating func protocolError(_ id: ConnectionID, _ error: WireError, _ out: inout [CoordinatorDirective]) {
        guard let peer = peers[id] else { return }
        if peer.isHandshaking && error.code == .unsupportedVersion {
            reject(id, .unsupportedProtocolVersion, "\(error.message); this coordinator speaks protocol version \(Wire.protocolVersion)", &out)
            return
        }
        out.append(.log(.warning, "protocol error from \(peer.address): \(error.message); closing that connection"))
        out.append(.send(id, .error(ErrorMessage(code: error.wireCode, message: error.message)), requestID: 0))
        drop(id, flush: true, &out)
    }

    private mutating func disconnected(_ id: ConnectionID, _ out: inout [CoordinatorDirective]) {
        guard let peer = peers[id] else { return }
        if peer.state == .ready && stage != .finished {
            out.append(.log(.warning, "worker \(peer.workerID) at \(peer.address) disconnected"))
        }
        forget(id, &out)
    }

    /// Closes a connection and gives its shards in flight back to the queue.
    private mutating func drop(_ id: ConnectionID, flush: Bool, _ out: inout [CoordinatorDirective]) {
        guard peers[id] != nil else { return }
        out.append(.close(id, flush: flush))
        forget(id, &out)
    }

    private mutating func forget(_ id: ConnectionID, _ out: inout [CoordinatorDirective]) {
        guard let peer = peers.removeValue(forKey: id) else { return }
        if !peer.inFlight.isEmpty, case .running = stage {
            for shard in peer.inFlight { work.requeue(shard) }
            out.append(.log(.warning, "requeued \(peer.inFlight.count) shard(s) of worker \(peer.workerID)"))
            assignWork(&out)
        }
    }

    private mutating func checkTimeouts(_ out: inout [CoordinatorDirective]) {
        for (id, peer) in peers.sorted(by: { $0.key < $1.key }) {
            if peer.isHandshaking && now &- peer.connectedAt > configuration.handshakeTimeoutMillis {
                out.append(.log(.warning, "\(peer.address) did not complete the handshake in time"))
                drop(id, flush: false, &out)
            } else if !peer.isHandshaking && now &- peer.lastSeen > configuration.workerTimeoutMillis {
                out.append(.log(.warning, "worker \(peer.workerID) at \(peer.address) silent for \(now &- peer.lastSeen) ms: declared lost"))
                drop(id, flush: false, &out)
            }
        }
    }

    func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: max(0, 16 - digits.count)) + digits
    }
}

/// What the journal of an interrupted run holds for the epochs still to finish.
struct RestoredRun {
    var results: [Int: [Message]] = [:]
    var finalGreedy: [Int: GreedyOutcome] = [:]
}
