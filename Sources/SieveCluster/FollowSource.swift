import SieveCore
import Foundation
import SieveData
import Synchronization

/// Follow mode's data: a trainer writes each epoch's signals, computed with its current
/// checkpoint, as `DATA/epochs/NNNN/{signals,validation}/` and an empty `COMPLETE` last;
/// `DATA/samples.jsonl` stays at the root. Workers open the epoch an assignment names.
public final class FollowSource: Sendable {
    public static let scheme = "follow:"
    public let directory: String
    public let fingerprint: UInt64
    public let rowCount: Int
    private let opened = Mutex<(epoch: Int, pool: Pool)?>(nil)

    public init(directory: String) throws {
        self.directory = directory
        let samples = directory + "/samples.jsonl"
        guard let bytes = FileManager.default.contents(atPath: samples) else {
            throw DataError(file: samples, message: "file not found")
        }
        var hasher = WordHasher()
        hasher.combine("gradsieve-follow-v1")
        hasher.combine([UInt8](bytes))
        fingerprint = hasher.value
        rowCount = bytes.reduce(0) { $0 + ($1 == 10 ? 1 : 0) } + (bytes.last.map { $0 == 10 ? 0 : 1 } ?? 0)
    }

    public static func epochName(_ epoch: Int) -> String { EpochRecord.name(epoch) }

    public func epochDirectory(_ epoch: Int) -> String { directory + "/epochs/" + Self.epochName(epoch) }

    /// True once the trainer has written `COMPLETE` for `epoch`.
    public func isComplete(_ epoch: Int) -> Bool {
        FileManager.default.fileExists(atPath: epochDirectory(epoch) + "/COMPLETE")
    }

    /// True once the trainer has written `DATA/epochs/DONE`: no epoch after those written comes.
    public var isDone: Bool {
        FileManager.default.fileExists(atPath: directory + "/epochs/DONE")
    }

    /// The pool of `epoch`, opened and validated once and kept while that epoch runs.
    public func pool(for epoch: Int, readIDs: Bool = false) throws -> Pool {
        if let pool = opened.withLock({ $0.flatMap { $0.epoch == epoch ? $0.pool : nil } }) { return pool }
        // Opened outside the lock (it reads files); two threads may both open it, the last is kept.
        let pool = try Pool.open(directory: epochDirectory(epoch), samplesPath: directory + "/samples.jsonl", readIDs: readIDs)
        opened.withLock { $0 = (epoch, pool) }
        return pool
    }
}
