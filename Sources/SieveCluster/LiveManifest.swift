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
        TaskConfig(seed: taskSeed, labelNoise: labelNoise, tierWeights: tierWeights, evaluationTierWeights: tierWeights,
                   lowUtilityShare: lowUtilityShare)
    }

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
