import XCTest
@testable import SieveCore
import SievePolicy
import SieveWire

/// Training through the core, event by event with no sockets: the step's gradient is the
/// tasks' sums added in task order and divided by the batch, AdamW moves the coordinator's
/// weights, every worker gets them, and the evaluation tasks' counts become the epoch's metrics.
final class TrainingCoreTests: XCTestCase {
    func testAStepAveragesTheTasksAppliesAdamWAndTheEvaluationBecomesTheMetrics() throws {
        var configuration = RunConfiguration(method: .random, parameters: MethodParameters(budget: 2), epochs: 1, expectWorkers: 1,
                                             shardRows: 4, dataPath: "live:/m", runID: "t")
        configuration.training = TrainingPlan(batchSize: 2, taskRows: 1, testRows: 2, evaluationTaskRows: 2, learningRate: 0.1, passes: 1)
        let initial: [Float] = [1, 2, 3]
        var core = CoordinatorCore(configuration: configuration, shape: PoolShape(rows: 4, validationRows: 0, dimension: 2, fingerprint: 5),
                                   initialWeights: initial)
        _ = core.handle(.connected(1, peer: "p"))
        _ = core.handle(.received(1, .hello(Hello(workerName: "w", productVersion: "t", slots: 4, dataPath: "")), requestID: 1))
        let started = core.handle(.received(1, .ready(Ready(fingerprint: 5, rows: 4, dimension: 2)), requestID: 0))
        // The epoch's weights go out first, then random's curriculum is written.
        XCTAssertTrue(started.contains { if case let .send(1, .weights(w), _) = $0 { return w.version == 1 && w.values == [1, 2, 3] }; return false })
        let written = try XCTUnwrap(started.compactMap { if case let .writeEpoch(r) = $0 { return r }; return nil }.first)
        XCTAssertEqual(written.curriculum.count, 2)

        let training = core.handle(.epochWritten(epoch: 1, error: nil))
        let tasks = training.compactMap { if case let .send(1, .assignTask(t), _) = $0 { return t }; return nil }
        XCTAssertEqual(tasks.map(\.kind), [.gradient, .gradient], "a batch of 2 in tasks of 1 row")
        XCTAssertEqual(tasks.map(\.rows), written.curriculum.map { [UInt64($0.row)] })
        // Gradient sums per task, then the rollouts' reward sum and count. Sent out of order: the
        // core adds them in task order.
        let sums: [[Double]] = [[1, 0, -2, 3, 8], [0, 4, 2, 1, 8]]
        var afterStep: [CoordinatorDirective] = []
        for task in tasks.reversed() {
            afterStep += core.handle(.received(1, .taskResult(TaskResult(epoch: 1, task: task.task, attempt: task.attempt,
                                                                         values: sums[Int(task.task)])), requestID: 0))
        }
        var adam = AdamW(parameterCount: 3, learningRate: 0.1)
        var expected = initial
        adam.ascend(parameters: &expected, direction: [0.5, 2, 0])   // (sum over tasks) / batch of 2
        let weights = try XCTUnwrap(afterStep.compactMap { if case let .send(1, .weights(w), _) = $0 { return w }; return nil }.first)
        XCTAssertEqual(weights.version, 2)
        XCTAssertEqual(weights.values, expected.map(Double.init))
        XCTAssertNotEqual(weights.values, initial.map(Double.init))

        // Then the test set, in one evaluation task of 2 rows.
        let evaluation = afterStep.compactMap { if case let .send(1, .assignTask(t), _) = $0 { return t }; return nil }
        XCTAssertEqual(evaluation.map(\.kind), [.evaluation])
        XCTAssertEqual(evaluation.first?.rows, [0, 1])
        var counts = EvaluationCounts()
        counts.add(tier: 0, correct: true)
        counts.add(tier: 1, correct: false)
        var values = counts.values
        values[EvaluationCounts.length - 2] = 5   // 5 of 16 sampled answers right
        values[EvaluationCounts.length - 1] = 16
        let finished = core.handle(.received(1, .taskResult(TaskResult(epoch: 1, task: 0, attempt: evaluation[0].attempt, values: values)), requestID: 0))
        let metrics = try XCTUnwrap(finished.compactMap { if case let .metrics(m) = $0 { return m }; return nil }.first)
        XCTAssertEqual(metrics.testAccuracy, 0.5)
        XCTAssertEqual(metrics.sampledAccuracy, 5.0 / 16)
        XCTAssertEqual(metrics.trainReward, 4.0 / 16, "reward sums over rollout counts of the epoch's steps")
        XCTAssertEqual(metrics.steps, 1)
        XCTAssertEqual(metrics.testAccuracyByTier[0], 1)
        XCTAssertEqual(metrics.testAccuracyByTier[1], 0)
    }

    func testATaskResultOfTheWrongLengthIsRefused() throws {
        var configuration = RunConfiguration(method: .random, parameters: MethodParameters(budget: 2), epochs: 1, expectWorkers: 1,
                                             shardRows: 4, dataPath: "live:/m", runID: "t")
        configuration.training = TrainingPlan(batchSize: 2, taskRows: 2, testRows: 2, evaluationTaskRows: 2, learningRate: 0.1, passes: 1)
        var core = CoordinatorCore(configuration: configuration, shape: PoolShape(rows: 4, validationRows: 0, dimension: 2, fingerprint: 5),
                                   initialWeights: [1, 2, 3])
        _ = core.handle(.connected(1, peer: "p"))
        _ = core.handle(.received(1, .hello(Hello(workerName: "w", productVersion: "t", slots: 4, dataPath: "")), requestID: 1))
        _ = core.handle(.received(1, .ready(Ready(fingerprint: 5, rows: 4, dimension: 2)), requestID: 0))
        let task = try XCTUnwrap(core.handle(.epochWritten(epoch: 1, error: nil)).compactMap { if case let .send(1, .assignTask(t), _) = $0 { return t }; return nil }.first)
        let refused = core.handle(.received(1, .taskResult(TaskResult(epoch: 1, task: task.task, attempt: task.attempt, values: [1, 2])), requestID: 0))
        XCTAssertTrue(refused.contains { if case let .send(1, .error(e), _) = $0 { return e.message.contains("expected 5 finite values") }; return false }, "\(refused)")
    }
}
