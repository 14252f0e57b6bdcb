import ArgumentParser
import Foundation
import Logging
import SieveCore
import SieveCluster
import SieveData
import SieveUV
import SieveWire

/// Everything checked before a coordinator listens: the pool opens and validates, the method
/// finds the tensors it needs, and OUT may be written. A failure here leaves OUT untouched.
struct RunSetup {
    let options: RunOptions
    /// The pool on disk; nil in follow mode, where every epoch brings its own.
    let pool: Pool?
    let follow: FollowSource?
    var configuration: RunConfiguration
    let shape: PoolShape
    var output: RunOutput
    /// The journal records of the attempt being resumed (empty for a fresh run).
    let restored: [JournalRecord]
    let journalLength: Int

    init(options: RunOptions, expectWorkers: Int) throws {
        self.options = options
        let dataPath = URL(fileURLWithPath: options.data).standardizedFileURL.path
        let ids: SampleIDs
        if options.follow {
            follow = try FollowSource(directory: dataPath)
            pool = nil
            ids = try SampleIDs(path: dataPath + "/samples.jsonl")
        } else {
            follow = nil
            let opened = try Pool.open(directory: dataPath, readIDs: true)
            try Self.checkMethod(options.selectionMethod, diversity: options.methodParameters.diversity, followed: false, opened)
            pool = opened
            ids = opened.ids
        }
        output = RunOutput(directory: options.out, ids: ids)
        output.scoresFormat = ScoresFormat(rawValue: options.scoresFormat)!
        configuration = RunConfiguration(
            method: options.selectionMethod, parameters: options.methodParameters, epochs: options.epochs, expectWorkers: expectWorkers,
            shardRows: options.shardRows, validationShardRows: options.validationShardRows,
            dataPath: (options.follow ? FollowSource.scheme : "") + dataPath,
            runID: Self.runID(), heartbeatMillis: options.heartbeatMillis,
            workerTimeoutMillis: UInt64(options.workerTimeout * 1000),
            handshakeTimeoutMillis: UInt64(options.handshakeTimeout * 1000))
        configuration.token = try TokenFile.read(options.tokenFile)
        configuration.maxConnections = options.maxConnections
        configuration.follow = options.follow
        configuration.joinTimeoutMillis = options.joinTimeout.map { UInt64($0 * 1000) }
        shape = PoolShape(rows: ids.count, validationRows: pool?.validationRowCount ?? 0,
                          dimension: pool?.dimension ?? 0, rewardEpochs: pool?.rewardEpochs ?? 0,
                          fingerprint: pool?.fingerprint ?? follow!.fingerprint)
        (restored, journalLength) = try Self.prepareOutput(output, identity: Self.identity(options, shape), resume: options.resume,
                                                           force: options.force)
    }

    /// What must match for a journal to be resumed: the method with its parameters and the data.
    static func identity(_ options: RunOptions, _ shape: PoolShape) -> [String: String] {
        var fields = ["method": options.method, "data.fingerprint": String(shape.fingerprint, radix: 16),
                      "data.rows": "\(shape.rows)", "data.dimension": "\(shape.dimension)", "data.follow": "\(options.follow)",
                      // Results are journaled as wire frames: another protocol version cannot read them.
                      "journal.protocol": "\(Wire.protocolVersion)"]
        for (name, value) in options.recordedParameters { fields["parameter." + name] = value }
        return fields
    }

    /// Checks OUT: a fresh run refuses an OUT holding a run (finished or journaled) unless forced;
    /// a resumed run needs a journal whose header matches this run, and names what differs.
    static func prepareOutput(_ output: RunOutput, identity: [String: String], resume: Bool,
                              force: Bool) throws -> ([JournalRecord], Int) {
        let journalExists = FileManager.default.fileExists(atPath: output.journalFile)
        if !resume {
            try output.checkWritable(force: force)
            if journalExists && !force {
                throw CommandFailure("\(output.directory) holds an unfinished run (journal.gsj); pass --resume to continue it or --force to start over")
            }
            return ([], 0)
        }
        guard journalExists else {
            // One command for the first start and every restart (systemd, Kubernetes, Slurm
            // requeue): with nothing journaled yet, --resume starts the run.
            try output.checkWritable(force: false)
            return ([], 0)
        }
        let contents = try JournalFile.read(path: output.journalFile)
        let records = contents.records.compactMap(JournalRecord.decode)
        guard case let .header(recorded)? = records.first else {
            throw CommandFailure("\(output.journalFile) does not start with a gradsieve run header")
        }
        let differences = Set(recorded.keys).union(identity.keys).sorted().compactMap { key -> String? in
            recorded[key] == identity[key] ? nil : "\(key): journal has \(recorded[key] ?? "nothing"), this run has \(identity[key] ?? "nothing")"
        }
        guard differences.isEmpty else {
            throw CommandFailure("the journal in \(output.directory) is from a different run; " + differences.joined(separator: "; "))
        }
        return (Array(records.dropFirst()), contents.intactLength)
    }

    /// A method whose tensor is absent fails before any work starts, naming both. A followed
    /// epoch without `rewards` serves limr through its `success` (the coordinator's history).
    static func checkMethod(_ method: SelectionMethod, diversity: Bool, followed: Bool, _ pool: Pool) throws {
        if followed && method == .limr && !pool.tensorNames.contains("rewards") && !pool.tensorNames.contains("success") {
            throw CommandFailure("method limr needs tensor `rewards`, or `success` to build its own reward history, in \(pool.directory)/signals/*.safetensors, which has neither")
        }
        let required = followed && method == .limr && !pool.tensorNames.contains("rewards") ? ["success"] : method.requiredTensors
        var needs = required.map { ($0, "signals/*.safetensors", method.rawValue) }
        if diversity && !needs.contains(where: { $0.0 == "grad" }) {
            needs.append(("grad", "signals/*.safetensors", "\(method.rawValue) with --diversity facility-location"))
        }
        for (tensor, place, user) in needs where !pool.tensorNames.contains(tensor) {
            throw CommandFailure("method \(user) needs tensor `\(tensor)` in \(pool.directory)/\(place), which the pool lacks")
        }
        if method.needsValidation && !pool.hasValidation {
            throw CommandFailure("method \(method.rawValue) needs tensor `grad` in \(pool.directory)/validation/*.safetensors, which the pool lacks")
        }
    }

    static func runID() -> String {
        var generator = SystemRandomNumberGenerator()
        return String(generator.next() as UInt64, radix: 16)
    }

    /// Runs a coordinator until the run ends; writes run.json on success. Returns the outcome.
    func serve(endpoint: Endpoint, logger: Logger, onListening: (CoordinatorService) throws -> Void) throws -> RunOutcome {
        let started = Date()
        let output = self.output
        let pool = self.pool
        var endpoint = endpoint
        if configuration.token == nil && !endpoint.isLoopback {
            logger.warning("no --token-file: listening on 127.0.0.1 only, not \(endpoint.host); give a token to serve other machines")
            endpoint.host = "127.0.0.1"
        }
        let follow = self.follow
        let journal = try openJournal(logger: logger)
        let service = try CoordinatorService(configuration: configuration, shape: shape, endpoint: endpoint, logger: logger,
                                             finalGreedy: { request in
                                                 let source: SignalSource = try follow.map { try $0.pool(for: request.epoch) } ?? pool!
                                                 return try FinalGreedy.run(request, pool: source)
                                             },
                                             journal: { try journal.append($0.encoded(), sync: $1) },
                                             syncJournal: { try journal.sync() },
                                             writeEpoch: { try output.write($0) })
        service.restore(restored)
        service.drainSeconds = options.drainSeconds
        if let follow {
            service.follow = follow
            let method = options.selectionMethod, diversity = options.methodParameters.diversity, rows = shape.rows
            service.openEpoch = { epoch in
                let pool = try follow.pool(for: epoch)
                try Self.checkMethod(method, diversity: diversity, followed: true, pool)
                guard pool.rowCount == rows else {
                    throw CommandFailure("\(follow.epochDirectory(epoch)) covers \(pool.rowCount) rows; samples.jsonl has \(rows)")
                }
                return PoolShape(rows: rows, validationRows: pool.validationRowCount, dimension: pool.dimension ?? 0,
                                 rewardEpochs: pool.rewardEpochs ?? 0, fingerprint: follow.fingerprint)
            }
        }
        service.metricsFile = options.metricsFile
        let detail = follow.map { "following \($0.directory)/epochs" } ?? "d = \(shape.dimension), \(shape.validationRows) validation rows"
        logger.info("listening on \(endpoint.host):\(service.port) for \(configuration.expectWorkers) worker(s); \(shape.rows) rows, \(detail)")
        try onListening(service)
        let outcome = service.run()
        if case let .interrupted(message) = outcome { logger.notice("\(message)") }
        if case .success = outcome { try? output.writeThroughput(service.throughput) }
        if case .failure = outcome, journalLength == 0 {
            // A failed fresh run leaves OUT as it was; only an interrupted or killed run keeps
            // its journal for --resume.
            unlink(output.journalFile)
        }
        guard case let .success(summary) = outcome else { return outcome }
        let record = RunRecord(
            method: configuration.method.rawValue,
            parameters: options.recordedParameters + [("expect_workers", "\(configuration.expectWorkers)")],
            dataPath: configuration.dataPath, fingerprint: shape.fingerprint, rows: shape.rows,
            validationRows: shape.validationRows, dimension: shape.dimension, workers: summary.workersSeen,
            epochs: summary.epochs, startedAt: ISO8601DateFormatter().string(from: started),
            seconds: Date().timeIntervalSince(started))
        do {
            try output.writeRunRecord(record)
        } catch {
            return .failure("cannot write \(output.runFile): \(error)")
        }
        for epoch in record.epochs {
            print("epoch \(epoch.epoch): \(epoch.selected) rows -> \(output.epochDirectory(epoch.epoch))/curriculum.jsonl")
        }
        return outcome
    }
}

extension RunSetup {
    /// Opens OUT/journal.gsj for appending: a resumed run cuts a torn last record off first; a
    /// fresh run starts the file with the run's header.
    func openJournal(logger: Logger) throws -> JournalFile {
        if options.resume && journalLength > 0 {
            logger.info("resuming from \(output.journalFile): \(restored.count) record(s)")
            return try JournalFile(path: output.journalFile, truncateTo: journalLength)
        }
        unlink(output.journalFile)
        let journal = try JournalFile(path: output.journalFile)
        try journal.append(JournalRecord.header(Self.identity(options, shape)).encoded())
        return journal
    }
}

/// Turns a run's outcome into the process's exit status.
func exitFor(_ outcome: RunOutcome) throws {
    if case let .failure(message) = outcome {
        throw CommandFailure(message)
    }
}

/// A failure the user can act on: ArgumentParser prints it as "Error: ..." and exits with 1.
struct CommandFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
