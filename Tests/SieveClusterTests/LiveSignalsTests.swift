import Foundation
import XCTest
import SieveCore
@testable import SieveCluster
import SieveData
import SievePolicy
import SieveWire

/// The built-in policy as a signal source, and its data-parallel training tasks.
final class LiveSignalsTests: XCTestCase {
    func makeSource(_ name: String) throws -> LiveSignals {
        let directory = NSTemporaryDirectory() + "live-\(name)-\(getpid())"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        // A short warm-up on one-digit sums, so rollouts succeed sometimes and gradients are not zero.
        let policy = Policy(config: TransformerConfig(width: 32, layers: 1, heads: 2), seed: 3)
        let easy = TaskConfig(seed: 7, tierWeights: [1, 0, 0, 0, 0])
        WarmUp.train(policy: policy, problems: ArithmeticTasks.problems(.train, 0..<256, config: easy), steps: 60, seed: 1, batchSize: 16)
        try policy.save(to: directory + "/weights.ckpt")
        let manifest = LiveManifest(checkpoint: "weights.ckpt", poolRows: 40, validationRows: 8, testRows: 16, taskSeed: 2,
                                    labelNoise: 0.3, lowUtilityShare: 0, tierWeights: [1, 0, 0, 0, 0], rollouts: 4,
                                    projectionDimension: 16, seed: 9)
        try manifest.write(to: directory + "/manifest.json")
        return try LiveSignals(manifestPath: directory + "/manifest.json")
    }

    func testBatchGradientSplitIntoTasksEqualsTheSingleProcessGradient() throws {
        let source = try makeSource("parallel")
        let rows = Array(0..<24)
        // The cluster: tasks of 8 rows, each a worker's gradient sum, added in task order in Float64.
        let parts = stride(from: 0, to: rows.count, by: 8).map { source.trainTask(rows: Array(rows[$0..<$0 + 8]), step: 5) }
        var summed = [Double](repeating: 0, count: parts[0].count)
        for part in parts { for i in summed.indices { summed[i] += part[i] } }
        // One process: the whole batch in one call.
        let problems = rows.map { ArithmeticTasks.problem(.train, index: $0, config: source.manifest.tasks) }
        var single = [Float](repeating: 0, count: source.currentPolicy.parameters.count)
        let (rewardSum, count) = GRPO.gradientSum(policy: source.currentPolicy, problems: problems, rollouts: 4, seed: 9, epoch: 5, into: &single)
        let scale = single.reduce(Float(0)) { max($0, abs($1)) }
        XCTAssertGreaterThan(scale, 0, "the batch has a gradient")
        for i in single.indices { XCTAssertEqual(summed[i], Double(single[i]), accuracy: Double(scale) * 1e-5) }
        XCTAssertEqual(summed[single.count], rewardSum)
        XCTAssertEqual(summed[single.count + 1], Double(count))
    }

    func testSignalsOfARowDoNotDependOnTheShardAroundIt() throws {
        let source = try makeSource("rows")
        let wide = try source.withGradBytes(RowSegment(file: 0, fileRow: 0, row: 0, count: 10), validation: false) { Array($0.bindMemory(to: Float.self)) }
        let narrow = try source.withGradBytes(RowSegment(file: 0, fileRow: 6, row: 6, count: 2), validation: false) { Array($0.bindMemory(to: Float.self)) }
        XCTAssertEqual(Array(wide[(6 * 16)..<(8 * 16)]), narrow)
        let success = try source.signal("success", RowSegment(file: 0, fileRow: 0, row: 0, count: 10))!
        XCTAssertTrue(success.allSatisfy { (0...1).contains($0) })
    }

    func testNewWeightsChangeTheSignals() throws {
        let source = try makeSource("weights")
        let segment = RowSegment(file: 0, fileRow: 0, row: 0, count: 40)
        let before = try source.withGradBytes(segment, validation: false) { Array($0.bindMemory(to: Float.self)) }
        XCTAssertTrue(before.contains { $0 != 0 }, "some rows have a gradient")
        source.update(parameters: source.currentPolicy.parameters.map { $0 * 1.5 }, version: 2, epoch: 1)
        let after = try source.withGradBytes(segment, validation: false) { Array($0.bindMemory(to: Float.self)) }
        XCTAssertNotEqual(before, after)
    }

    /// limr's score step in an epoch without rewards (an empty reference): each row's success,
    /// the same values the other methods read.
    func testLimrWithAnEmptyReferenceReturnsEachRowsSuccess() throws {
        let source = try makeSource("limr")
        let assignment = Assignment(epoch: 1, phase: .score, shard: 1, attempt: 0, rowStart: 8, rowCount: 12)
        let task = ShardTask(work: .shard(assignment), method: "limr", requestID: 1, reference: ReferenceVector(epoch: 1, exact: []))
        guard case let .scores(columns, values) = ShardComputer.compute(task, pool: source) else { return XCTFail("no scores") }
        XCTAssertEqual(columns, ["success"])
        // Computed from the rollouts alone first; the full signals (gradients too) agree.
        let success = try source.signal("success", RowSegment(file: 0, fileRow: 8, row: 8, count: 12))!
        XCTAssertEqual(values, success.map(Double.init))
        XCTAssertTrue(success.contains { $0 > 0 && $0 < 1 }, "some rows are mixed")
        // With a reward mean, limr scores need the rewards a live source does not have.
        let scored = ShardTask(work: .shard(assignment), method: "limr", requestID: 1, reference: ReferenceVector(epoch: 1, exact: [3, 4]))
        guard case .failed = ShardComputer.compute(scored, pool: source) else { return XCTFail("rewards are not live signals") }
    }

    /// A chunked live pool: in epoch 3 of a 16-problem pool in chunks of 4, rows 0 and 1 are
    /// train problems 8 and 9 for scoring, success and training alike.
    func testChunkedRowsAreTheEpochsProblems() throws {
        let directory = NSTemporaryDirectory() + "live-chunk-\(getpid())"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let policy = Policy(config: TransformerConfig(width: 32, layers: 1, heads: 2), seed: 5)
        try policy.save(to: directory + "/weights.ckpt")
        var manifest = LiveManifest(checkpoint: "weights.ckpt", poolRows: 16, validationRows: 4, testRows: 4, taskSeed: 2,
                                    labelNoise: 0.1, lowUtilityShare: 0, tierWeights: [1, 1, 1, 1, 1], rollouts: 4,
                                    projectionDimension: 8, seed: 9)
        manifest.task = .reversedAddition
        manifest.chunkRows = 4
        try manifest.write(to: directory + "/manifest.json")
        let source = try LiveSignals(manifestPath: directory + "/manifest.json")
        XCTAssertEqual(source.rowCount, 4)
        source.update(parameters: policy.parameters, version: 2, epoch: 3)
        let expected = ArithmeticTasks.problems(.train, 8..<10, config: source.manifest.tasks)
        XCTAssertEqual(source.trainProblems(0..<2, epoch: 3), expected)
        // The angle depends on the prompt: a row mapped to another problem would differ.
        let projection = GradientProjection(seed: 9, config: policy.config, outputDimension: 8)
        let signals = expected.map { GRPO.signals(policy: policy, problem: $0, rollouts: 4, seed: 9, epoch: 3, projection: projection) }
        let segment = RowSegment(file: 0, fileRow: 0, row: 0, count: 2)
        XCTAssertEqual(try source.signal("angle", segment), signals.map(\.angle))
        XCTAssertEqual(try source.signal("success", segment), signals.map(\.success))
        XCTAssertNotEqual(try source.signal("angle", segment),
                          ArithmeticTasks.problems(.train, 0..<2, config: source.manifest.tasks).map {
                              GRPO.signals(policy: policy, problem: $0, rollouts: 4, seed: 9, epoch: 3, projection: projection).angle
                          }, "chunk 2's problems, not chunk 0's")
        // Training: the assignment's epoch picks the chunk, whatever epoch the weights carry.
        var sum = [Float](repeating: 0, count: policy.parameters.count)
        let (rewardSum, count) = GRPO.gradientSum(policy: policy, problems: expected, rollouts: 4, seed: 9, epoch: 77, into: &sum)
        let task = source.trainTask(rows: [0, 1], step: 77, epoch: 3)
        XCTAssertEqual(Array(task.suffix(2)), [rewardSum, Double(count)])
        XCTAssertEqual(Array(task.prefix(sum.count)), sum.map(Double.init))
        source.update(parameters: policy.parameters, version: 3, epoch: 1)
        XCTAssertEqual(source.trainTask(rows: [0, 1], step: 77, epoch: 3), task)
    }
}
