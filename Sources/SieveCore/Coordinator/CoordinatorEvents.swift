import SieveSeal
import SieveWire

/// Identifies one TCP connection inside a coordinator process.
public typealias ConnectionID = Int

/// What happened, as the shell tells the coordinator's state machine.
public enum CoordinatorEvent: Sendable {
    case connected(ConnectionID, peer: String)
    case received(ConnectionID, Message, requestID: UInt32)
    /// The bytes from this connection did not form a valid frame or message.
    case protocolError(ConnectionID, WireError)
    case disconnected(ConnectionID)
    case tick(nowMillis: UInt64)
    /// The shell wrote the epoch's files (or failed to, with the reason).
    case epochWritten(epoch: Int, error: String?)
    /// Follow mode: the trainer finished writing this epoch's data, which opened with `shape`.
    case dataArrived(epoch: Int, shape: PoolShape)
    /// The shell ran the core's job (`CoordinatorDirective.compute`).
    case computed(id: UInt64, CoreJobResult)
    /// Follow mode: the trainer wrote `DATA/epochs/DONE`; no epoch after the ones written comes.
    case trainerDone
    /// The shell ran GreeDi's second round for the epoch.
    case finalGreedyDone(epoch: Int, result: Result<GreedyOutcome, WorkerFailure>)
}

/// The request for GreeDi's second round: greedy over the union of the parts' picks.
public struct FinalGreedyRequest: Sendable, Equatable {
    public var epoch: Int
    /// The union of the parts' picks, ascending.
    public var union: [Int]
    /// All candidates C, ascending: f(S) is reported over them.
    public var candidates: [Int]
    public var budget: Int
    /// Live runs: the weights the epoch was scored with (the candidates' gradients come from
    /// them); nil for pools on disk.
    public var weights: [Float]? = nil
}

/// What the state machine wants done; the shell carries it out in order.
public enum CoordinatorDirective: Sendable {
    case send(ConnectionID, Message, requestID: UInt32)
    /// The cluster token's handshake succeeded: seal every frame sent on the connection from now
    /// on, and open every frame received after the one just handled, with these keys
    /// (docs/protocol.md section 8).
    case startSealing(ConnectionID, SessionKeys)
    /// Close the connection, after the queued frames went out when `flush`.
    case close(ConnectionID, flush: Bool)
    case writeEpoch(EpochResult)
    /// A live run finished training and evaluating an epoch.
    case metrics(EpochMetrics)
    /// Append to the journal, durably, before anything else happens.
    case journal(JournalRecord)
    /// Append to the journal now; it becomes durable with the next sync, which the shell makes
    /// once per turn of its loop (group commit) and before any `journal`. For results that do
    /// not complete their step: nothing is built from them until a later `journal` syncs.
    case journalDeferred(JournalRecord)
    /// Run the job off the loop thread and report `computed` with its id and result.
    case compute(CoreJob)
    /// Run GreeDi's second round off the loop and report `finalGreedyDone`.
    case finalGreedy(FinalGreedyRequest)
    case progress(PhaseProgress)
    case log(LogLevel, String)
    /// The run is over: the shell stops the loop and exits with success or the failure.
    case finish(RunOutcome)
}

public enum LogLevel: Sendable {
    case debug, info, warning, error
}

public struct PhaseProgress: Sendable, Equatable {
    public var epoch: Int
    public var phase: String
    public var shardsDone: Int
    public var shardsTotal: Int
    public var rowsDone: Int
    public var finished: Bool
    /// The worker whose result this was ("" for the report at a step's start).
    public var worker: String = ""
}

public enum RunOutcome: Sendable, Equatable {
    case success(RunSummary)
    case failure(String)
    /// Stopped on request (SIGTERM) with the journal up to date; `--resume` continues.
    case interrupted(String)
}

public struct RunSummary: Sendable, Equatable {
    public var epochs: [EpochRecord]
    public var workersSeen: [String]
}

/// One epoch's outcome, everything the shell needs to write its files.
public struct EpochResult: Sendable {
    public var epoch: Int
    /// Selected rows in curriculum order, with their scores.
    public var curriculum: [(row: Int, score: Double)]
    /// Every row's scores (column 0 is the score); empty when workers scored nothing.
    public var table: ScoreTable
    /// Column names of the table.
    public var columns: [String] { table.columns }
    /// The table row-major (rows × columns), as tests compare it.
    public var values: [Double] { table.rowMajor }
    /// |reference| for the methods that align gradients with one (gradalign, learnalign).
    public var referenceNorm: Double?
    /// f(S) over all candidates when the representativeness step ran.
    public var facilityLocationValue: Double?
    /// GAIN-RL's centre mu used for this epoch's draw.
    public var gainrlMu: Double?
}
