import Logging
import SieveUV
import SieveWire
#if canImport(Glibc)
import Glibc
#endif

/// The coordinator's libuv shell: it listens, turns bytes into events for `CoordinatorCore`, and
/// carries out the core's directives. It holds no rules of its own.
public final class CoordinatorService {
    public let loop: EventLoop
    private var core: CoordinatorCore
    private let listener: TCPListener
    private let ticker: LoopTimer
    private var signals: [SignalWatcher] = []
    private var links: [ConnectionID: FrameLink] = [:]
    private var nextConnection: ConnectionID = 1
    private let maximumFrameLength: Int
    private let writeEpoch: (EpochResult) throws -> Void
    private let finalGreedy: (FinalGreedyRequest) throws -> GreedyOutcome
    private let journal: (JournalRecord, _ sync: Bool) throws -> Void
    private let syncJournal: () throws -> Void
    /// Deferred journal records written but not yet synced, and the turn-end timer that syncs them.
    private var unsyncedRecords = 0
    private var syncTimer: LoopTimer?
    private var drainTimer: LoopTimer?
    /// How long SIGTERM waits for shards in flight before stopping anyway.
    public var drainSeconds: Double = 30
    private let logger: Logger
    private let progress: ProgressReporter
    public private(set) var outcome: RunOutcome?

    /// Binds `endpoint` at once, so `port` is known before `run()` (and a taken port fails here).
    public init(configuration: RunConfiguration, shape: PoolShape, endpoint: Endpoint, logger: Logger,
                maximumFrameLength: Int = Wire.defaultMaximumFrameLength,
                finalGreedy: @escaping (FinalGreedyRequest) throws -> GreedyOutcome,
                journal: @escaping (JournalRecord, _ sync: Bool) throws -> Void,
                syncJournal: @escaping () throws -> Void,
                writeEpoch: @escaping (EpochResult) throws -> Void) throws {
        loop = try EventLoop()
        core = CoordinatorCore(configuration: configuration, shape: shape)
        listener = try TCPListener(loop: loop, endpoint: endpoint)
        ticker = try LoopTimer(loop: loop)
        self.maximumFrameLength = maximumFrameLength
        self.writeEpoch = writeEpoch
        self.finalGreedy = finalGreedy
        self.journal = journal
        self.syncJournal = syncJournal
        self.logger = logger
        progress = ProgressReporter(logger: logger)
    }

    public var port: Int { listener.localPort }

    /// Serves until the run finishes or fails, then closes every handle.
    public func run() -> RunOutcome {
        do {
            try listener.listen { [unowned self] connection in self.accept(connection) }
            for signal in [SIGINT, SIGTERM] {
                let watcher = try SignalWatcher(loop: loop)
                try watcher.start(signal: signal) { [unowned self] _ in self.stop() }
                watcher.unreference()
                signals.append(watcher)
            }
        } catch {
            outcome = .failure("cannot listen: \(error)")
            loop.shutdown()
            return outcome!
        }
        listener.onError = { [unowned self] error in self.logger.warning("\(error)") }
        ticker.start(timeoutMillis: 200, repeatMillis: 200) { [unowned self] in
            self.apply(self.core.handle(.tick(nowMillis: self.loop.nowMillis)))
        }
        apply(core.handle(.tick(nowMillis: loop.nowMillis)))
        loop.run()
        loop.shutdown()
        return outcome ?? .failure("the coordinator stopped before the run finished")
    }

    /// SIGTERM or SIGINT: stop assigning, let the shards in flight finish into the journal, stop.
    /// A second signal, or `drainSeconds` without the shards, stops at once; the journal stays
    /// consistent either way.
    public func stop() {
        guard outcome == nil else { return }
        if drainTimer != nil {
            apply(core.stopNow())
            return
        }
        logger.info("signal received: finishing the shards in flight, then stopping (a second signal stops now)")
        drainTimer = try? LoopTimer(loop: loop)
        drainTimer?.start(timeoutMillis: UInt64(drainSeconds * 1000)) { [unowned self] in self.apply(self.core.stopNow()) }
        apply(core.drain())
    }

    /// Restores the journal of an earlier attempt at this run (before `run`).
    public func restore(_ records: [JournalRecord]) {
        core.restore(records)
    }

    /// Fails the run from outside the protocol (a signal, or every local worker having exited).
    public func abort(_ reason: String) {
        guard outcome == nil else { return }
        apply(core.abort(reason))
    }

    private func accept(_ connection: TCPConnection) {
        let id = nextConnection
        nextConnection += 1
        let link = FrameLink(connection: connection, maximumFrameLength: maximumFrameLength)
        links[id] = link
        connection.onRead = { [unowned self] bytes in
            link.receive(bytes, deliver: { message, requestID in
                self.apply(self.core.handle(.received(id, message, requestID: requestID)))
            }, reject: { error in
                self.apply(self.core.handle(.protocolError(id, error)))
            })
        }
        connection.onClose = { [unowned self] error in
            if let error, !error.isEndOfStream { self.logger.debug("\(connection.peer): \(error)") }
            self.links[id] = nil
            self.apply(self.core.handle(.disconnected(id)))
        }
        apply(core.handle(.connected(id, peer: connection.peer)))
        connection.startReading()
    }

    private func apply(_ directives: [CoordinatorDirective]) {
        for directive in directives { execute(directive) }
    }

    private func execute(_ directive: CoordinatorDirective) {
        switch directive {
        case let .send(id, message, requestID):
            links[id]?.send(message, requestID: requestID)
        case let .close(id, flush):
            guard let link = links.removeValue(forKey: id) else { return }
            link.stop()
            link.connection.onClose = nil
            if flush { link.connection.closeAfterFlush() } else { link.connection.close() }
        case let .writeEpoch(result):
            let write = writeEpoch
            loop.runInBackground({ () -> String? in
                do { try write(result); return nil } catch { return "\(error)" }
            }, completion: { [unowned self] error in
                self.apply(self.core.handle(.epochWritten(epoch: result.epoch, error: error)))
            })
        case let .finalGreedy(request):
            let greedy = finalGreedy
            loop.runInBackground({ () -> Result<GreedyOutcome, WorkerFailure> in
                do { return .success(try greedy(request)) } catch { return .failure(WorkerFailure("\(error)")) }
            }, completion: { [unowned self] result in
                self.apply(self.core.handle(.finalGreedyDone(epoch: request.epoch, result: result)))
            })
        case let .journal(record):
            do {
                try journal(record, true)  // the sync covers the deferred records before it
                unsyncedRecords = 0
            } catch {
                apply(core.abort("cannot write the journal: \(error)"))
            }
        case let .journalDeferred(record):
            do {
                try journal(record, false)
                unsyncedRecords += 1
                scheduleSync()
            } catch {
                apply(core.abort("cannot write the journal: \(error)"))
            }
        case let .progress(report):
            progress.report(report)
        case let .log(level, text):
            log(level, text)
        case let .finish(result):
            syncDeferredRecords()
            syncTimer?.close()
            syncTimer = nil
            outcome = result
            ticker.close()
            drainTimer?.close()
            listener.close()
            signals.forEach { $0.close() }
        }
    }

    /// Group commit: one fdatasync at the next turn of the loop covers every deferred record
    /// written in this one, however many results arrived.
    private func scheduleSync() {
        if syncTimer == nil { syncTimer = try? LoopTimer(loop: loop) }
        guard let timer = syncTimer else { return syncDeferredRecords() }
        timer.start(timeoutMillis: 0) { [unowned self] in self.syncDeferredRecords() }
    }

    private func syncDeferredRecords() {
        guard unsyncedRecords > 0 else { return }
        unsyncedRecords = 0
        do {
            try syncJournal()
        } catch {
            apply(core.abort("cannot write the journal: \(error)"))
        }
    }

    private func log(_ level: LogLevel, _ text: String) {
        switch level {
        case .debug: logger.debug("\(text)")
        case .info: logger.info("\(text)")
        case .warning: logger.warning("\(text)")
        case .error: logger.error("\(text)")
        }
    }
}
