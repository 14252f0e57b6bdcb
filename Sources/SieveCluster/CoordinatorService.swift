import SieveCore
import Logging
import SieveSeal
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
    /// The memory every link seals its frames in (all on this loop; docs/protocol.md section 8).
    private let sealingScratch = SealingScratch()
    private var nextConnection: ConnectionID = 1
    private let maximumFrameLength: Int
    private let writeEpoch: @Sendable (EpochResult) throws -> Void
    private let finalGreedy: @Sendable (FinalGreedyRequest) throws -> GreedyOutcome
    private let journal: (JournalRecord, _ sync: Bool) throws -> Void
    private let syncJournal: () throws -> Void
    /// Deferred journal records written but not yet synced, and the turn-end timer that syncs them.
    private var unsyncedRecords = 0
    private var syncTimer: LoopTimer?
    private var drainTimer: LoopTimer?
    /// Every result as it came in: when, from whom, how many rows (for the report).
    public private(set) var throughput: [ThroughputSample] = []
    private var startedMillis: UInt64 = 0
    /// Follow mode: where the trainer writes epochs, and how an epoch's data is opened and
    /// checked (off the loop) into the shape the core needs.
    public var follow: FollowSource?
    public var openEpoch: (@Sendable (Int) throws -> PoolShape)?
    private var watcher: FileWatcher?
    private var openingEpoch: Int?
    /// Where to keep Prometheus metrics (rewritten at most once a second, and at the end).
    public var metricsFile: String?
    private var metricsWrittenAt: UInt64 = 0
    /// Live runs: called with each epoch's training outcome.
    public var onMetrics: ((EpochMetrics) -> Void)?
    /// How long SIGTERM waits for shards in flight before stopping anyway.
    public var drainSeconds: Double = 30
    private let logger: Logger
    private let progress: ProgressReporter
    public private(set) var outcome: RunOutcome?

    /// Binds `endpoint` at once, so `port` is known before `run()` (and a taken port fails here).
    public init(configuration: RunConfiguration, shape: PoolShape, endpoint: Endpoint, logger: Logger,
                maximumFrameLength: Int = Wire.defaultMaximumFrameLength, initialWeights: [Float]? = nil,
                finalGreedy: @escaping @Sendable (FinalGreedyRequest) throws -> GreedyOutcome,
                journal: @escaping (JournalRecord, _ sync: Bool) throws -> Void,
                syncJournal: @escaping () throws -> Void,
                writeEpoch: @escaping @Sendable (EpochResult) throws -> Void) throws {
        loop = try EventLoop()
        core = initialWeights.map { CoordinatorCore(configuration: configuration, shape: shape, initialWeights: $0) }
            ?? CoordinatorCore(configuration: configuration, shape: shape)
        // Selections and optimizer steps run on libuv's thread pool, never on the loop thread.
        core.offloadsJobs = true
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
            self.writeMetrics(force: false)
            self.checkFollow()
        }
        if let follow {
            // inotify on DATA/epochs when it exists; the ticker's re-scan covers the rest (a
            // directory created later, or events that coalesced).
            watcher = try? FileWatcher(loop: loop)
            try? watcher?.start(path: follow.directory + "/epochs") { [unowned self] _ in self.checkFollow() }
        }
        startedMillis = loop.nowMillis
        apply(core.handle(.tick(nowMillis: loop.nowMillis)))
        SystemdNotify.send("READY=1\nSTATUS=listening on port \(port)\nMAINPID=\(getpid())")
        loop.run()
        loop.shutdown()
        writeMetrics(force: true)
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

    /// Opens the awaited epoch's data once the trainer has marked it COMPLETE.
    private func checkFollow() {
        guard let follow, let openEpoch, openingEpoch == nil, outcome == nil, let epoch = core.awaitedEpoch else { return }
        guard follow.isComplete(epoch) else {
            if follow.isDone { apply(core.handle(.trainerDone)) }
            return
        }
        openingEpoch = epoch
        logger.info("epoch \(epoch): the trainer's data is complete; opening \(follow.epochDirectory(epoch))")
        loop.runInBackground({ Result { try openEpoch(epoch) } }, completion: { [unowned self] result in
            self.openingEpoch = nil
            switch result {
            case let .success(shape): self.apply(self.core.handle(.dataArrived(epoch: epoch, shape: shape)))
            case let .failure(error): self.abort("epoch \(epoch) data: \(error)")
            }
        })
    }

    private func writeMetrics(force: Bool) {
        guard let metricsFile, force || loop.nowMillis &- metricsWrittenAt >= 1000 else { return }
        metricsWrittenAt = loop.nowMillis
        do { try core.status.write(to: metricsFile) } catch { logger.warning("cannot write \(metricsFile): \(error)") }
    }

    private func accept(_ connection: TCPConnection) {
        let id = nextConnection
        nextConnection += 1
        let link = FrameLink(connection: connection, maximumFrameLength: maximumFrameLength, sealable: core.configuration.token != nil,
                             scratch: sealingScratch)
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
        case let .startSealing(id, keys):
            links[id]?.startSealing(keys, side: .coordinator)
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
        case let .compute(job):
            loop.runInBackground({ job.run() }, completion: { [unowned self] result in
                self.apply(self.core.handle(.computed(id: job.id, result)))
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
        case let .metrics(metrics):
            onMetrics?(metrics)
        case let .progress(report):
            progress.report(report)
            if !report.worker.isEmpty {
                throughput.append(ThroughputSample(seconds: Double(loop.nowMillis &- startedMillis) / 1000, epoch: report.epoch,
                                                   step: report.phase, worker: report.worker, rows: report.rowsDone))
            }
        case let .log(level, text):
            log(level, text)
        case let .finish(result):
            // The first outcome stands: a failure to journal the run's last records (reported
            // while these directives run) must not be overwritten by the success after it.
            guard outcome == nil else { return }
            SystemdNotify.send("STOPPING=1")
            syncDeferredRecords()
            guard outcome == nil else { return }  // the sync failed and finished the run as a failure
            syncTimer?.close()
            syncTimer = nil
            outcome = result
            ticker.close()
            drainTimer?.close()
            watcher?.close()
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
        logger.log(level: level.swiftLogLevel, "\(text)")
    }
}

/// One finished shard as the report's throughput chart sees it.
public struct ThroughputSample: Sendable, Codable, Equatable {
    public var seconds: Double
    public var epoch: Int
    public var step: String
    public var worker: String
    public var rows: Int
}
