import SievePolicy
import SieveWire

/// Training through the cluster (live runs only): after an epoch is written, GRPO steps on its
/// curriculum, data-parallel over the workers, then the test set's accuracy.
extension CoordinatorCore {
    /// Sends the current weights, which the epoch's signals and tasks are computed with.
    mutating func broadcastWeights(epoch: Int, to ids: [ConnectionID]? = nil, _ out: inout [CoordinatorDirective]) {
        guard let training else { return }
        let message = Message.weights(Weights(version: training.version, epoch: UInt32(epoch), values: training.parameters.map(Double.init)))
        for id in ids ?? peers.keys.sorted() where peers[id]?.state == .ready {
            out.append(.send(id, message, requestID: 0))
        }
    }

    mutating func beginTraining(_ epoch: Int, curriculum: [Int], _ out: inout [CoordinatorDirective]) {
        guard let plan = configuration.training, training != nil else { return }
        training!.curriculum = curriculum
        training!.batches = plan.batches(curriculum: curriculum)
        training!.rewardSum = 0
        training!.rewardCount = 0
        training!.steps = 0
        out.append(.log(.info, "epoch \(epoch): training on \(curriculum.count) rows in \(training!.batches.count) GRPO step(s)"))
        beginStep(epoch, 0, &out)
    }

    mutating func beginStep(_ epoch: Int, _ step: Int, _ out: inout [CoordinatorDirective]) {
        guard let plan = configuration.training else { return }
        guard step < training!.batches.count else {
            beginEvaluation(epoch, &out)
            return
        }
        let batch = training!.batches[step]
        training!.tasks = stride(from: 0, to: batch.count, by: plan.taskRows).map { Array(batch[$0..<min($0 + plan.taskRows, batch.count)]) }
        training!.results = Array(repeating: nil, count: training!.tasks.count)
        begin(epoch, .train(step), shards: training!.tasks.count, &out)
    }

    mutating func beginEvaluation(_ epoch: Int, _ out: inout [CoordinatorDirective]) {
        guard let plan = configuration.training else { return }
        training!.tasks = stride(from: 0, to: plan.testRows, by: plan.evaluationTaskRows).map { Array($0..<min($0 + plan.evaluationTaskRows, plan.testRows)) }
        training!.results = Array(repeating: nil, count: training!.tasks.count)
        begin(epoch, .evaluate, shards: training!.tasks.count, &out)
    }

    func taskAssignment(_ epoch: Int, _ step: EpochStep, _ task: Int, _ attempt: UInt32) -> Message {
        let rows = training!.tasks[task].map { UInt64($0) }
        if case let .train(index) = step {
            return .assignTask(TaskAssignment(epoch: UInt32(epoch), task: UInt32(task), attempt: attempt, kind: .gradient,
                                              step: TrainingPlan.stepSeed(epoch: epoch, step: index), rows: rows))
        }
        return .assignTask(TaskAssignment(epoch: UInt32(epoch), task: UInt32(task), attempt: attempt, kind: .evaluation,
                                          step: 0, rows: rows))
    }

    mutating func storeTaskResult(_ result: TaskResult) -> String? {
        let task = Int(result.task)
        guard let training, task < training.tasks.count else { return "taskResult for task \(task), which does not exist" }
        if currentStep == .evaluate {
            guard EvaluationCounts(result.values) != nil else {
                return "taskResult for evaluation task \(task) has \(result.values.count) values; expected \(EvaluationCounts.length) finite counts, each correct count at most its count"
            }
        } else {
            let expected = training.parameters.count + 2
            guard result.values.count == expected, result.values.allSatisfy(\.isFinite) else {
                return "taskResult for task \(task) has \(result.values.count) values; expected \(expected) finite values"
            }
        }
        self.training!.results[task] = result.values
        return nil
    }

    /// The step's gradient and AdamW run as a job (`OptimizerJob`), off the loop thread.
    mutating func finishStep(_ epoch: Int, _ step: Int, _ out: inout [CoordinatorDirective]) {
        launch(.optimizerStep(OptimizerJob(state: training!, step: step)), &out)
    }

    /// The step is applied: the new weights go out and the next step begins.
    mutating func stepDone(_ state: TrainingState, _ out: inout [CoordinatorDirective]) {
        guard let epoch = currentEpoch, case let .train(step)? = currentStep else { return }
        training = state
        training!.version &+= 1
        training!.steps += 1
        broadcastWeights(epoch: epoch, &out)
        beginStep(epoch, step + 1, &out)
    }

    mutating func finishEvaluation(_ epoch: Int, _ out: inout [CoordinatorDirective]) {
        var counts = EvaluationCounts()
        for result in training!.results { counts.add(EvaluationCounts(result!)!) }  // checked on arrival
        let metrics = EpochMetrics(epoch: epoch, selected: training!.curriculum.count,
                                   trainReward: training!.rewardCount > 0 ? training!.rewardSum / training!.rewardCount : 0,
                                   testAccuracy: counts.accuracy, steps: training!.steps,
                                   testAccuracyByTier: counts.accuracyByTier, sampledAccuracy: counts.sampledAccuracy)
        out.append(.metrics(metrics))
        stage = .writing(epoch: epoch)   // between epochs: nothing in flight
        continueAfter(epoch, &out)
    }
}
