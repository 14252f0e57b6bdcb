import SieveCore
import Foundation
import SievePolicy

/// What a live run's workers compute from: the built-in policy's task pool and its signal
/// settings. The coordinator writes it to OUT and names it in `welcome.dataPath` as
/// `live:<path>`; the starting weights sit beside it.
public struct LiveManifest: Codable, Sendable, Equatable {
    public var checkpoint: String
    public var poolRows: Int
    public var validationRows: Int
    public var testRows: Int
    public var taskSeed: UInt64
    public var labelNoise: Double
    public var lowUtilityShare: Double
    public var tierWeights: [Double]
    public var rollouts: Int
    public var projectionDimension: Int
    public var seed: UInt64
    /// The task family (nil in manifests written before it existed: arithmetic).
    public var task: TaskFamily?
    /// reversed-addition: relative shares of target, easy, hard, distractor in the pool.
    public var componentShares: [Double]?
    /// When set, the cluster's pool in epoch e is the chunk of `chunkRows` train problems from
    /// `chunkStart(epoch:)` (GradAlign's released loop: a fresh chunk of the pool each round,
    /// chunk i mod #chunks): row r of the epoch is train problem chunkStart + r. nil: row r is
    /// train problem r in every epoch.
    public var chunkRows: Int?
    /// Samples per test problem for sampled accuracy (nil: 8).
    public var evaluationSamples: Int?

    public init(checkpoint: String, poolRows: Int, validationRows: Int, testRows: Int, taskSeed: UInt64, labelNoise: Double,
                lowUtilityShare: Double, tierWeights: [Double], rollouts: Int, projectionDimension: Int, seed: UInt64) {
        self.checkpoint = checkpoint
        self.poolRows = poolRows
        self.validationRows = validationRows
        self.testRows = testRows
        self.taskSeed = taskSeed
        self.labelNoise = labelNoise
        self.lowUtilityShare = lowUtilityShare
        self.tierWeights = tierWeights
        self.rollouts = rollouts
        self.projectionDimension = projectionDimension
        self.seed = seed
    }

    public static let scheme = "live:"

    public var tasks: TaskConfig {
        TaskConfig(task: task ?? .arithmetic, seed: taskSeed, labelNoise: labelNoise, tierWeights: tierWeights,
                   evaluationTierWeights: tierWeights, lowUtilityShare: lowUtilityShare, componentShares: componentShares)
    }

    /// Rows of the cluster's pool in each epoch: the chunk, or the whole pool.
    public var epochRows: Int { chunkRows ?? poolRows }

    /// The train problem index of the epoch's first row (0 without chunks). Chunk c covers
    /// problems c * chunkRows ..< (c + 1) * chunkRows; epoch e (from 1) uses chunk
    /// (e - 1) mod (poolRows / chunkRows). Train problems are independent draws, so consecutive
    /// blocks are what a shuffled split into chunks would give.
    public func chunkStart(epoch: Int) -> Int {
        guard let chunkRows, chunkRows > 0 else { return 0 }
        let chunks = max(1, poolRows / chunkRows)
        return ((max(epoch, 1) - 1) % chunks) * chunkRows
    }

    /// The train problem index of row `row` in epoch `epoch`.
    public func problemIndex(row: Int, epoch: Int) -> Int { chunkStart(epoch: epoch) + row }

    public func write(to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(self).write(to: URL(fileURLWithPath: path), options: .atomic)
    }

    public static func read(_ path: String) throws -> LiveManifest {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw WorkerFailure("cannot read the live manifest \(path)")
        }
        do { return try JSONDecoder().decode(LiveManifest.self, from: data) }
        catch { throw WorkerFailure("\(path): not a live manifest: \(error)") }
    }
}
