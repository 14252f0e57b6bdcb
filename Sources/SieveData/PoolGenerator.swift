import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes a synthetic pool that follows the data contract, for tests,
/// benchmarks and demos (see `SyntheticPoolModel` for what the data means).
///
/// Output: `samples.jsonl` (lines like
/// `{"id": "gen-000000", "cluster": 3, "prompt": "synthetic problem 0"}`),
/// `signals/part-NNNN.safetensors` with `row`, `success`, `angle`,
/// `rewards` and `grad` for `rowsPerFile` rows each, and, unless
/// `validationRows` is 0, `validation/part-NNNN.safetensors` with `grad`.
/// Gradients are streamed row by row, so memory stays small however large
/// N × d is. The same seed and parameters give byte-identical files on
/// every machine. Each file is written under a temporary name and renamed.
public struct PoolGenerator: Sendable {
    public var rows: Int
    public var dimension: Int
    public var dtype: DType
    public var validationRows: Int
    public var seed: UInt64
    public var rowsPerFile: Int
    public var clusters: Int
    public var rewardEpochs: Int
    /// Replace an existing pool (its `.safetensors` files are deleted first).
    public var overwrite: Bool

    public init(rows: Int, dimension: Int, dtype: DType = .f32, validationRows: Int = 64, seed: UInt64 = 1,
                rowsPerFile: Int = 65_536, clusters: Int = 16, rewardEpochs: Int = 4, overwrite: Bool = false) {
        self.rows = rows
        self.dimension = dimension
        self.dtype = dtype
        self.validationRows = validationRows
        self.seed = seed
        self.rowsPerFile = rowsPerFile
        self.clusters = clusters
        self.rewardEpochs = rewardEpochs
        self.overwrite = overwrite
    }

    /// Writes the pool into `directory`, creating it if needed. Refuses a
    /// directory that already holds `samples.jsonl` or `.safetensors` files
    /// in `signals/` or `validation/` unless `overwrite`, which deletes
    /// those `.safetensors` files first (nothing else is deleted).
    public func write(to directory: String) throws {
        try checkParameters(directory)
        try prepare(directory)
        let model = SyntheticPoolModel(seed: seed, dimension: dimension, clusters: clusters, rewardEpochs: rewardEpochs)
        let jobs = parts(count: rows, in: PoolPaths.join(directory, "signals"), validation: false)
            + parts(count: validationRows, in: PoolPaths.join(directory, "validation"), validation: true)
        try runInParallel(jobs.count) { k in
            let job = jobs[k]
            if job.validation {
                try writeValidationFile(job.path, rows: job.rows, model: model)
            } else {
                try writeSignalsFile(job.path, rows: job.rows, model: model)
            }
        }
        try writeSamples(PoolPaths.join(directory, "samples.jsonl"), model: model)
    }

    /// The files to write for `count` rows: one per `rowsPerFile` rows.
    private func parts(count: Int, in directory: String, validation: Bool) -> [(path: String, rows: Range<Int>, validation: Bool)] {
        stride(from: 0, to: count, by: rowsPerFile).enumerated().map { part, start in
            (PoolPaths.join(directory, Self.partName(part)), start..<min(count, start + rowsPerFile), validation)
        }
    }

    /// Runs `body(0..<count)` on all cores and rethrows the first error.
    /// Every row has its own random stream, so the files are the same
    /// whatever the order or parallelism.
    private func runInParallel(_ count: Int, _ body: @Sendable (Int) throws -> Void) throws {
        let firstError = Mutex<(any Error)?>(nil)
        DispatchQueue.concurrentPerform(iterations: count) { k in
            do {
                try body(k)
            } catch {
                firstError.withLock { if $0 == nil { $0 = error } }
            }
        }
        if let error = firstError.withLock({ $0 }) { throw error }
    }

    /// `part-0000.safetensors` style names (more digits past 9999 parts).
    static func partName(_ part: Int) -> String {
        "part-\(zeroPadded(part, width: 4)).safetensors"
    }

    private static func zeroPadded(_ value: Int, width: Int) -> String {
        let digits = String(value)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }

    private func checkParameters(_ directory: String) throws {
        func require(_ condition: Bool, _ message: String) throws {
            if !condition { throw DataError(file: directory, message: message) }
        }
        try require(rows >= 1, "rows must be at least 1, got \(rows)")
        try require(dimension >= 1, "dimension must be at least 1, got \(dimension)")
        try require(dtype.isFloat, "dtype must be F32, F16 or BF16, got \(dtype.rawValue)")
        try require(validationRows >= 0, "validationRows must not be negative, got \(validationRows)")
        try require(rowsPerFile >= 1, "rowsPerFile must be at least 1, got \(rowsPerFile)")
        try require(clusters >= 1, "clusters must be at least 1, got \(clusters)")
        try require(rewardEpochs >= 1, "rewardEpochs must be at least 1, got \(rewardEpochs)")
    }

    /// Creates the directories; refuses or clears an existing pool.
    private func prepare(_ directory: String) throws {
        let manager = FileManager.default
        let samples = PoolPaths.join(directory, "samples.jsonl")
        if manager.fileExists(atPath: samples) && !overwrite {
            throw DataError(file: samples, message: "a pool already exists here; pass overwrite: true to replace it")
        }
        do {
            for (sub, needed) in [("signals", true), ("validation", validationRows > 0)] {
                let path = PoolPaths.join(directory, sub)
                if needed { try manager.createDirectory(atPath: path, withIntermediateDirectories: true) }
                let existing = try PoolPaths.safetensorsNames(in: path, required: false)
                if !existing.isEmpty && !overwrite {
                    throw DataError(file: path, message: "already holds .safetensors files; pass overwrite: true to replace them")
                }
                for name in existing {
                    try manager.removeItem(atPath: PoolPaths.join(path, name))
                }
                if !needed { rmdir(path) }  // only if empty: never delete files we did not write
            }
        } catch let error as DataError {
            throw error
        } catch {
            throw DataError(file: directory, message: "cannot prepare the directory: \(error.localizedDescription)")
        }
    }

    var metadata: [String: String] {
        ["format": "gradsieve-pool-v1", "generator": "gradsieve PoolGenerator", "seed": String(seed),
         "clusters": String(clusters)]
    }
}
