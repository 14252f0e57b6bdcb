import SieveSeal
import SieveWire

/// The reduced reference of an epoch as workers use it: Float32 for the SIMD kernels, plus the
/// Float64 norm of the exact Float64 vector.
public final class ReferenceVector: Sendable {
    public let epoch: Int
    public let exact: [Double]
    public let values: [Float]
    public let norm: Double

    public init(epoch: Int, exact: [Double]) {
        self.epoch = epoch
        self.exact = exact
        values = exact.map { Float($0) }
        norm = exact.reduce(0) { $0 + $1 * $1 }.squareRoot()
    }
}

/// One shard (or GreeDi part) to compute, as the worker's shell receives it.
public struct ShardTask: Sendable {
    public enum Work: Sendable {
        case shard(Assignment)
        case part(PartAssignment)
        case task(TaskAssignment)
    }

    public var work: Work
    public var method: String
    public var requestID: UInt32
    public var reference: ReferenceVector?

    public init(work: Work, method: String, requestID: UInt32, reference: ReferenceVector?) {
        self.work = work
        self.method = method
        self.requestID = requestID
        self.reference = reference
    }

    public var epoch: Int {
        switch work {
        case let .shard(a): return Int(a.epoch)
        case let .part(p): return Int(p.epoch)
        case let .task(t): return Int(t.epoch)
        }
    }
}

/// What computing a shard produced.
public enum ShardOutcome: Sendable {
    case partialSum([Double])
    case scores(columns: [String], values: [Double])
    case picks(GreedyOutcome)
    case values([Double])
    case failed(String)
}

/// What the worker opened at DATA.
public struct OpenedData: Sendable, Equatable {
    public var fingerprint: UInt64
    public var rows: Int
    public var dimension: Int
    public init(fingerprint: UInt64, rows: Int, dimension: Int) {
        self.fingerprint = fingerprint
        self.rows = rows
        self.dimension = dimension
    }
}

public enum WorkerEvent: Sendable {
    case connected
    case received(Message, requestID: UInt32)
    case protocolError(WireError)
    case disconnected(String?)
    case dataOpened(Result<OpenedData, WorkerFailure>)
    case computed(ShardTask, ShardOutcome)
    case tick
}

public struct WorkerFailure: Error, Sendable, Equatable {
    public var message: String
    public init(_ message: String) { self.message = message }
}

public enum WorkerDirective: Sendable {
    case send(Message, requestID: UInt32)
    /// The coordinator proved it holds the token: seal every frame sent from now on, and open
    /// every frame received after the one just handled, with these keys (docs/protocol.md section 8).
    case startSealing(SessionKeys)
    case openData(path: String)
    case compute(ShardTask)
    case startHeartbeat(millis: UInt32)
    /// Live runs: compute with these weights from now on.
    case updateWeights(Weights)
    /// Connect again, with back-off, until the connect time-out.
    case reconnect
    case log(LogLevel, String)
    /// Leave the process with this code; the message says why (empty for a normal end).
    case exit(code: Int32, message: String)
}

/// The worker's logic, sans-IO like the coordinator's: it says hello, opens and verifies the
/// data it was told about, turns assignments into compute directives, and returns results.
public struct WorkerCore {
    public let name: String
    public let slots: Int
    /// The worker's own `--data`, which overrides the coordinator's path.
    public let ownDataPath: String?
    /// The cluster token, when the worker was given one.
    public let token: ClusterToken?
    var proven = false

    enum State: Equatable { case connecting, greeting, proving(challenge: [UInt8], nonce: [UInt8]), opening, ready, finished }
    var state: State = .connecting
    var welcome: Welcome?
    var helloRequestID: UInt32 = 1
    var references: [Int: ReferenceVector] = [:]
    var inFlight = 0

    /// Draws the handshake's worker nonces; injected like the coordinator's.
    let drawNonce: @Sendable () -> [UInt8]
    /// When to try the coordinator again after a failed connect, and when to give up.
    public let reconnect: ReconnectPolicy

    public init(name: String, slots: Int, ownDataPath: String?, token: ClusterToken? = nil,
                reconnect: ReconnectPolicy = ReconnectPolicy(), nonce: @escaping @Sendable () -> [UInt8] = ClusterToken.nonce) {
        drawNonce = nonce
        self.reconnect = reconnect
        self.name = name
        self.slots = max(1, slots)
        self.ownDataPath = ownDataPath
        self.token = token
    }

    public mutating func handle(_ event: WorkerEvent) -> [WorkerDirective] {
        switch event {
        case .connected:
            state = .greeting
            proven = false
            let hello = Hello(workerName: name, productVersion: GradsieveVersion.current,
                              slots: UInt16(clamping: slots), dataPath: ownDataPath ?? "")
            return [.send(.hello(hello), requestID: helloRequestID)]
        case let .received(message, requestID):
            return receive(message, requestID)
        case let .protocolError(error):
            state = .finished
            return [.send(.error(ErrorMessage(code: error.wireCode, message: error.message)), requestID: 0),
                    .exit(code: 1, message: "protocol error from the coordinator: \(error.message)")]
        case let .disconnected(reason):
            guard state != .finished else { return [] }
            // The coordinator may be restarting (--resume): start over and rejoin it. Shards
            // still computing will report to the new connection with stale attempts, which the
            // coordinator ignores.
            state = .connecting
            welcome = nil
            references = [:]
            return [.log(.warning, "lost the coordinator" + (reason.map { " (\($0))" } ?? "") + "; reconnecting"), .reconnect]
        case let .dataOpened(result):
            return dataOpened(result)
        case let .computed(task, outcome):
            return computed(task, outcome)
        case .tick:
            guard state == .ready || state == .opening else { return [] }
            return [.send(.heartbeat(Heartbeat(shardsInFlight: UInt16(clamping: inFlight))), requestID: 0)]
        }
    }

    private mutating func receive(_ message: Message, _ requestID: UInt32) -> [WorkerDirective] {
        switch (state, message) {
        case let (.greeting, .challenge(challenge)):
            guard let token else {
                state = .finished
                return [.exit(code: 1, message: "the coordinator requires a cluster token; give this worker --token-file")]
            }
            let nonce = drawNonce()
            state = .proving(challenge: challenge.nonce, nonce: nonce)
            return [.send(.auth(Auth(nonce: nonce, proof: token.workerProof(challenge: challenge.nonce, workerNonce: nonce))), requestID: requestID)]
        case let (.proving(challenge, nonce), .authProof(proof)):
            guard let token, token.isValidCoordinatorProof(proof.proof, challenge: challenge, workerNonce: nonce) else {
                state = .finished
                return [.exit(code: 1, message: "the coordinator could not prove it holds the cluster token; refusing to work for it")]
            }
            proven = true
            state = .greeting
            return [.startSealing(SessionKeys.derive(secret: token.secret, challenge: challenge, workerNonce: nonce))]
        case (.greeting, .welcome) where token != nil && !proven:
            state = .finished
            return [.exit(code: 1, message: "the coordinator did not ask for the cluster token this worker was given; refusing to work for it")]
        case let (.greeting, .welcome(welcome)):
            self.welcome = welcome
            state = .opening
            let path = ownDataPath ?? welcome.dataPath
            return [.log(.info, "joined run \(welcome.runID) as worker \(welcome.workerID) (\(welcome.method)); opening \(path)"),
                    .startHeartbeat(millis: welcome.heartbeatMillis), .openData(path: path)]
        case let (_, .reject(reject)):
            state = .finished
            return [.exit(code: 1, message: "the coordinator refused this worker: \(reject.reason)")]
        case let (.ready, .reference(reference)):
            references = [Int(reference.epoch): ReferenceVector(epoch: Int(reference.epoch), exact: reference.vector)]
            return []
        case let (.ready, .assign(assignment)):
            let reference = references[Int(assignment.epoch)]
            if assignment.phase == .score && reference == nil && Self.scoresAgainstReference(welcome?.method) {
                return fatal("assignment for epoch \(assignment.epoch) scores before its reference arrived")
            }
            inFlight += 1
            return [.compute(ShardTask(work: .shard(assignment), method: welcome?.method ?? "", requestID: requestID,
                                       reference: reference))]
        case let (.ready, .weights(weights)):
            return [.updateWeights(weights)]
        case let (.ready, .assignTask(task)):
            inFlight += 1
            return [.compute(ShardTask(work: .task(task), method: welcome?.method ?? "", requestID: requestID, reference: nil))]
        case let (.ready, .assignPart(part)):
            inFlight += 1
            return [.compute(ShardTask(work: .part(part), method: welcome?.method ?? "", requestID: requestID, reference: nil))]
        case let (.ready, .curriculum(curriculum)):
            return [.log(.info, "epoch \(curriculum.epoch): curriculum of \(curriculum.rows.count) rows received")]
        case let (_, .done(done)):
            state = .finished
            let text = done.status == Done.success ? "run over: \(done.message)" : "run failed: \(done.message)"
            return [.log(done.status == Done.success ? .info : .error, text), .exit(code: 0, message: "")]
        case let (_, .error(error)):
            state = .finished
            return [.exit(code: 1, message: "the coordinator reported error \(error.code): \(error.message)")]
        default:
            return fatal("unexpected \(message.type) in state \(state)")
        }
    }

    /// Methods whose score phase needs the epoch's reduced reference first.
    static func scoresAgainstReference(_ method: String?) -> Bool {
        ["gradalign", "learnalign", "limr"].contains(method ?? "")
    }

    private mutating func fatal(_ text: String) -> [WorkerDirective] {
        state = .finished
        let error = WireError(code: .malformedField, message: text)
        return [.send(.error(ErrorMessage(code: error.wireCode, message: text)), requestID: 0),
                .exit(code: 1, message: text)]
    }

    private mutating func dataOpened(_ result: Result<OpenedData, WorkerFailure>) -> [WorkerDirective] {
        guard state == .opening, let welcome else { return [] }
        switch result {
        case let .failure(failure):
            state = .finished
            let text = "cannot open the data: \(failure.message)"
            return [.send(.error(ErrorMessage(code: 104, message: text)), requestID: 0), .exit(code: 1, message: text)]
        case let .success(data):
            // A mismatch is still reported with `ready`: the coordinator compares fingerprints and
            // rejects with the reason, so the decision and its message live in one place.
            var out: [WorkerDirective] = []
            if data.fingerprint == welcome.fingerprint {
                state = .ready
            } else {
                out.append(.log(.warning, "this worker's data has fingerprint \(String(data.fingerprint, radix: 16)), the coordinator's \(String(welcome.fingerprint, radix: 16))"))
            }
            let ready = Ready(fingerprint: data.fingerprint, rows: UInt64(data.rows), dimension: UInt32(data.dimension))
            return out + [.send(.ready(ready), requestID: 0)]
        }
    }

    private mutating func computed(_ task: ShardTask, _ outcome: ShardOutcome) -> [WorkerDirective] {
        inFlight -= 1
        guard state == .ready else { return [] }
        let (epoch, shard, attempt): (UInt32, UInt32, UInt32)
        switch task.work {
        case let .shard(a): (epoch, shard, attempt) = (a.epoch, a.shard, a.attempt)
        case let .part(p): (epoch, shard, attempt) = (p.epoch, p.part, p.attempt)
        case let .task(t): (epoch, shard, attempt) = (t.epoch, t.task, t.attempt)
        }
        switch (outcome, task.work) {
        case let (.partialSum(sum), .shard(a)):
            let message = PartialSum(epoch: epoch, shard: shard, attempt: attempt, rowCount: UInt64(a.rowCount), sum: sum)
            return [.send(.partialSum(message), requestID: task.requestID)]
        case let (.scores(columns, values), .shard(a)):
            let message = ShardScores(epoch: epoch, shard: shard, attempt: attempt, rowStart: a.rowStart,
                                      rowCount: a.rowCount, columns: columns, values: values)
            return [.send(.scores(message), requestID: task.requestID)]
        case let (.picks(greedy), .part):
            let message = PartPicks(epoch: epoch, part: shard, attempt: attempt, picks: greedy.picks.map { UInt64($0) }, value: greedy.value)
            return [.send(.partPicks(message), requestID: task.requestID)]
        case let (.values(values), .task):
            return [.send(.taskResult(TaskResult(epoch: epoch, task: shard, attempt: attempt, values: values)), requestID: task.requestID)]
        case let (.failed(reason), _):
            let message = ShardFailure(epoch: epoch, shard: shard, attempt: attempt, reason: reason)
            return [.log(.error, "shard \(shard) failed: \(reason)"), .send(.shardFailed(message), requestID: task.requestID)]
        default:
            let message = ShardFailure(epoch: epoch, shard: shard, attempt: attempt, reason: "internal error: result does not fit the task")
            return [.send(.shardFailed(message), requestID: task.requestID)]
        }
    }
}

/// The product version, separate from the wire protocol's version.
public enum GradsieveVersion {
    public static let current = "0.1.0"
}

/// The worker's reconnect back-off, as a rule of its own: attempt n (from 1) waits
/// min(100 ms x 2^min(n, 5), 2 s), and the worker gives up once `deadlineMillis` have passed
/// since its first attempt.
public struct ReconnectPolicy: Sendable, Equatable {
    public var deadlineMillis: UInt64

    public init(deadlineMillis: UInt64 = 30_000) {
        self.deadlineMillis = deadlineMillis
    }

    /// The wait before attempt `attempt` + 1, after attempt `attempt` (from 1) failed; nil when
    /// `waitedMillis` since the first attempt already reach the deadline.
    public func delay(afterAttempt attempt: Int, waitedMillis: UInt64) -> UInt64? {
        guard waitedMillis < deadlineMillis else { return nil }
        return min(UInt64(100) << UInt64(min(max(attempt, 0), 5)), 2000)
    }
}
