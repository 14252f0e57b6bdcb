import SieveCore
import Logging
import SieveSeal
import SieveData
import SieveUV
import SieveWire
#if canImport(Glibc)
import Glibc
#endif

/// The worker's libuv shell. Shards compute on libuv's thread pool, so the loop keeps reading
/// frames and sending heartbeats while a shard runs.
public final class WorkerService {
    private let loop: EventLoop
    private var core: WorkerCore
    private let endpoint: Endpoint
    private let logger: Logger
    private var link: FrameLink?
    /// The memory the link seals its frames in, kept across reconnects.
    private let sealingScratch = SealingScratch()
    private var heartbeat: LoopTimer?
    private var retryTimer: LoopTimer?
    private var pool: SignalSource?
    private var follow: FollowSource?
    private var exitCode: Int32?
    private var connectAttempts = 0
    private var signalWatcher: SignalWatcher?
    /// Fault injection for tests and drills: every shard takes this much longer, the way a slow
    /// disk would. The command line reads it from GRADSIEVE_SHARD_DELAY_MS (docs/operations.md);
    /// the service itself reads no environment.
    private let shardDelayMicroseconds: UInt32

    /// - Parameter connectTimeoutSeconds: how long to keep retrying (with back-off) while the
    ///   coordinator is not yet listening.
    ///   - shardDelayMillis: fault injection, added to every shard's time (0: none).
    public init(endpoint: Endpoint, name: String, slots: Int, dataPath: String?, token: ClusterToken? = nil, logger: Logger,
                connectTimeoutSeconds: Double = 30, shardDelayMillis: UInt32 = 0) throws {
        EventLoop.setThreadPoolSize(slots + 1)
        loop = try EventLoop()
        core = WorkerCore(name: name, slots: slots, ownDataPath: dataPath, token: token,
                          reconnect: ReconnectPolicy(deadlineMillis: UInt64(connectTimeoutSeconds * 1000)))
        self.endpoint = endpoint
        self.logger = logger
        shardDelayMicroseconds = shardDelayMillis &* 1000
    }

    /// Runs until the coordinator ends the run (0) or something fails (non-zero); returns the
    /// process exit code.
    public func run() -> Int32 {
        connectAttempts = 0
        connect(started: loop.nowMillis)
        if let watcher = try? SignalWatcher(loop: loop) {
            try? watcher.start(signal: SIGTERM) { [unowned self] _ in
                self.logger.info("SIGTERM: leaving; the coordinator gives this worker's shards to others")
                self.finish(code: 0, message: "")
            }
            watcher.unreference()
            signalWatcher = watcher
        }
        loop.run()
        loop.shutdown()
        return exitCode ?? 1
    }

    private func connect(started: UInt64) {
        connectAttempts += 1
        TCPConnection.connect(loop: loop, to: endpoint) { [unowned self] result in
            switch result {
            case let .success(connection):
                self.attach(connection)
            case let .failure(error):
                let waited = self.loop.nowMillis &- started
                guard let delay = self.core.reconnect.delay(afterAttempt: self.connectAttempts, waitedMillis: waited) else {
                    self.finish(code: 1, message: "cannot reach the coordinator at \(self.endpoint): \(error)")
                    return
                }
                self.logger.debug("coordinator at \(self.endpoint) not reachable (\(error)); retrying in \(delay) ms")
                self.retryLater(delay) { self.connect(started: started) }
            }
        }
    }

    private func retryLater(_ millis: UInt64, _ action: @escaping () -> Void) {
        guard let timer = retryTimer ?? (try? LoopTimer(loop: loop)) else { return }
        retryTimer = timer
        timer.start(timeoutMillis: millis) { action() }
    }

    private func attach(_ connection: TCPConnection) {
        retryTimer?.close()
        retryTimer = nil
        let link = FrameLink(connection: connection, maximumFrameLength: Wire.defaultMaximumFrameLength, sealable: core.token != nil,
                             scratch: sealingScratch)
        self.link = link
        connection.onRead = { [unowned self] bytes in
            link.receive(bytes, deliver: { message, requestID in
                self.apply(self.core.handle(.received(message, requestID: requestID)))
            }, reject: { error in
                self.apply(self.core.handle(.protocolError(error)))
            })
        }
        connection.onClose = { [unowned self] error in
            self.link = nil
            self.apply(self.core.handle(.disconnected(error.map { "\($0)" })))
        }
        connection.startReading()
        apply(core.handle(.connected))
    }

    private func apply(_ directives: [WorkerDirective]) {
        for directive in directives { execute(directive) }
    }

    private func execute(_ directive: WorkerDirective) {
        switch directive {
        case let .send(message, requestID):
            link?.send(message, requestID: requestID)
        case let .startSealing(keys):
            link?.startSealing(keys, side: .worker)
        case let .openData(path):
            // Opening reads and checks files (samples.jsonl, safetensors headers): off the loop,
            // for a followed directory as for a pool.
            loop.runInBackground({ () -> Result<OpenedSource, WorkerFailure> in
                do {
                    if path.hasPrefix(FollowSource.scheme) {
                        return .success(.follow(try FollowSource(directory: String(path.dropFirst(FollowSource.scheme.count)))))
                    }
                    return .success(.pool(try Self.openSource(path)))
                } catch { return .failure(WorkerFailure("\(error)")) }
            }, completion: { [unowned self] result in
                let opened = result.map { source -> OpenedData in
                    switch source {
                    case let .follow(follow):
                        self.follow = follow
                        return OpenedData(fingerprint: follow.fingerprint, rows: follow.rowCount, dimension: 0)
                    case let .pool(pool):
                        self.pool = pool
                        return OpenedData(fingerprint: pool.fingerprint, rows: pool.rowCount, dimension: pool.dimension ?? 0)
                    }
                }
                self.apply(self.core.handle(.dataOpened(opened)))
            })
        case let .compute(task):
            let follow = self.follow, fixed = pool
            guard follow != nil || fixed != nil else { return }
            let delay = shardDelayMicroseconds
            loop.runInBackground({ () -> ShardOutcome in
                if delay > 0 { usleep(delay) }
                do {
                    let source: SignalSource = try follow.map { try $0.pool(for: task.epoch) } ?? fixed!
                    return ShardComputer.compute(task, pool: source)
                } catch {
                    return .failed("\(error)")
                }
            }, completion: { [unowned self] outcome in
                self.apply(self.core.handle(.computed(task, outcome)))
            })
        case let .startHeartbeat(millis):
            guard heartbeat == nil, let timer = try? LoopTimer(loop: loop) else { return }
            heartbeat = timer
            let interval = UInt64(max(millis, 10))
            timer.start(timeoutMillis: interval, repeatMillis: interval) { [unowned self] in
                self.apply(self.core.handle(.tick))
            }
        case let .log(level, text):
            logger.log(level: level.swiftLogLevel, "\(text)")
        case let .exit(code, message):
            finish(code: code, message: message)
        case let .updateWeights(weights):
            (pool as? LiveSignals)?.update(parameters: weights.values.map(Float.init), version: weights.version,
                                          epoch: UInt64(weights.epoch))
        case .reconnect:
            if let link {
                link.stop()
                link.connection.onClose = nil
                link.connection.close()
            }
            link = nil
            connectAttempts = 0
            let started = loop.nowMillis
            retryLater(100) { [unowned self] in self.connect(started: started) }
        }
    }

    /// A pool directory, or `live:<manifest>` for the built-in policy's live signals.
    static func openSource(_ path: String) throws -> SignalSource {
        if path.hasPrefix(LiveManifest.scheme) {
            return try LiveSignals(manifestPath: String(path.dropFirst(LiveManifest.scheme.count)))
        }
        return try Pool.open(directory: path, readIDs: false)
    }

    private func finish(code: Int32, message: String) {
        guard exitCode == nil else { return }
        exitCode = code
        if !message.isEmpty { logger.error("\(message)") }
        heartbeat?.close()
        heartbeat = nil
        retryTimer?.close()
        retryTimer = nil
        signalWatcher?.close()
        signalWatcher = nil
        if let link {
            link.stop()
            link.connection.onClose = nil
            link.connection.closeAfterFlush()
        }
        link = nil
    }
}

/// What a worker opened: a followed directory (one pool per epoch) or one pool.
private enum OpenedSource: Sendable {
    case follow(FollowSource)
    case pool(SignalSource)
}
