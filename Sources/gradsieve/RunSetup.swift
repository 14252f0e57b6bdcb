import ArgumentParser
import Foundation
import Logging
import SieveCluster
import SieveData
import SieveUV

/// Everything checked before a coordinator listens: the pool opens and validates, the method
/// finds the tensors it needs, and OUT may be written. A failure here leaves OUT untouched.
struct RunSetup {
    let options: RunOptions
    let pool: Pool
    let configuration: RunConfiguration
    let shape: PoolShape
    let output: RunOutput

    init(options: RunOptions, expectWorkers: Int) throws {
        self.options = options
        let dataPath = URL(fileURLWithPath: options.data).standardizedFileURL.path
        pool = try Pool.open(directory: dataPath, readIDs: true)
        try Self.checkMethod(options.selectionMethod, diversity: options.methodParameters.diversity, pool)
        output = RunOutput(directory: options.out, ids: pool.ids)
        try output.checkWritable(force: options.force)
        configuration = RunConfiguration(
            method: options.selectionMethod, parameters: options.methodParameters, epochs: options.epochs, expectWorkers: expectWorkers,
            shardRows: options.shardRows, validationShardRows: options.validationShardRows, dataPath: dataPath,
            runID: Self.runID(), heartbeatMillis: options.heartbeatMillis,
            workerTimeoutMillis: UInt64(options.workerTimeout * 1000))
        shape = PoolShape(rows: pool.rowCount, validationRows: pool.validationRowCount,
                          dimension: pool.dimension ?? 0, rewardEpochs: pool.rewardEpochs ?? 0, fingerprint: pool.fingerprint)
    }

    /// A method whose tensor is absent fails before any work starts, naming both.
    static func checkMethod(_ method: SelectionMethod, diversity: Bool, _ pool: Pool) throws {
        var needs = method.requiredTensors.map { ($0, "signals/*.safetensors", method.rawValue) }
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
        var epochs: [RunRecord.EpochRecord] = []
        let lock = NSLock()
        let output = self.output
        let pool = self.pool
        let service = try CoordinatorService(configuration: configuration, shape: shape, endpoint: endpoint, logger: logger,
                                             finalGreedy: { try FinalGreedy.run($0, pool: pool) }) { result in
            try output.write(result)
            lock.lock()
            epochs.append(.init(epoch: result.epoch, selected: result.curriculum.count, referenceNorm: result.referenceNorm,
                                facilityLocationValue: result.facilityLocationValue, gainrlMu: result.gainrlMu))
            lock.unlock()
        }
        logger.info("listening on \(endpoint.host):\(service.port) for \(configuration.expectWorkers) worker(s); \(shape.rows) rows, d = \(shape.dimension), \(shape.validationRows) validation rows")
        try onListening(service)
        let outcome = service.run()
        guard case let .success(summary) = outcome else { return outcome }
        let record = RunRecord(
            method: configuration.method.rawValue,
            parameters: options.recordedParameters + [("expect_workers", "\(configuration.expectWorkers)")],
            dataPath: configuration.dataPath, fingerprint: shape.fingerprint, rows: shape.rows,
            validationRows: shape.validationRows, dimension: shape.dimension, workers: summary.workersSeen,
            epochs: epochs.sorted { $0.epoch < $1.epoch }, startedAt: ISO8601DateFormatter().string(from: started),
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
