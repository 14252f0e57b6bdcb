import Glibc

/// Supervised warm-up: cross-entropy on the answer tokens of a small clean set, so GRPO starts
/// from a partially competent policy (rollouts of a random policy would all score 0 and give no
/// gradient).
public enum WarmUp {
    /// Each batch is cut into this many fixed halves, whose gradients are added in order; the
    /// halves run on separate threads when `threads` > 1, and the result is the same either way.
    static let shards = 2

    /// Trains `policy` in place for `steps` AdamW steps on batches drawn with replacement from
    /// `problems` and returns the mean cross-entropy per answer token of each step's batch.
    ///
    /// Targets are each problem's labelled answer followed by the end token, so pass clean
    /// problems. Batch b of a run is a pure function of (seed, b), the learning rate decays
    /// from `learningRate` to a tenth along a cosine, and the result depends only on the
    /// arguments (not on `threads`).
    ///
    /// With `stop`, the run is checked every `checkEvery` steps (after steps checkEvery,
    /// 2 checkEvery, ...): it ends early, after that step, when `stop(steps done, policy)` is
    /// true. The learning-rate schedule always spans `steps`, so stopping early leaves the
    /// weights exactly as the longer run had them at that step.
    @discardableResult
    public static func train(policy: Policy, problems: [Problem], steps: Int, seed: UInt64, batchSize: Int = 32,
                             learningRate: Float = 3e-3, weightDecay: Float = 0.01, threads: Int = 2,
                             checkEvery: Int = 0, stop: ((Int, Policy) -> Bool)? = nil) -> [Double] {
        precondition(!problems.isEmpty && batchSize >= shards, "warm-up needs problems and at least \(shards) per batch")
        let transformer = Transformer(config: policy.config), count = policy.parameters.count
        var optimizer = AdamW(parameterCount: count, learningRate: learningRate, weightDecay: weightDecay)
        var gradients = (0..<shards).map { _ in [Float](repeating: 0, count: count) }  // one per shard, unshared
        let workspaces = (0..<max(1, min(threads, shards))).map { _ in Workspace(config: policy.config) }
        var losses: [Double] = []
        for step in 0..<steps {
            var draws = RandomStream(seed, RandomPurpose.warmUpBatch.rawValue, UInt64(step))
            let batch = (0..<batchSize).map { _ in problems[draws.nextInt(below: problems.count)] }
            let weight = 1 / Float(batch.reduce(0) { $0 + answerTokens($1).count })
            var logLikelihoods = [Double](repeating: 0, count: shards)
            let parameters = policy.parameters
            gradients.withUnsafeMutableBufferPointer { gradients in
                logLikelihoods.withUnsafeMutableBufferPointer { values in
                    ParallelLoop.run(items: shards, workspaces: workspaces) { shard, workspace in
                        let rows = Array(batch[shard * batchSize / shards..<(shard + 1) * batchSize / shards])
                        workspace.loadContinuations(prompts: rows.map(\.promptTokens), continuations: rows.map(answerTokens),
                                                    weights: Array(repeating: weight, count: rows.count))
                        gradients[shard].withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
                        values[shard] = transformer.evaluateWithGradient(parameters: parameters, workspace: workspace,
                                                                         gradient: &gradients[shard])
                    }
                }
            }
            for shard in 1..<shards { GRPO.add(gradients[shard], into: &gradients[0]) }
            losses.append(-logLikelihoods.reduce(0, +))
            let progress = Double(step) / Double(max(steps - 1, 1))
            optimizer.learningRate = learningRate * Float(0.55 + 0.45 * cos(Double.pi * progress))
            optimizer.ascend(parameters: &policy.parameters, direction: gradients[0])
            if let stop, checkEvery > 0, (step + 1) % checkEvery == 0, stop(step + 1, policy) { break }
        }
        return losses
    }

    private static func answerTokens(_ problem: Problem) -> [Int32] {
        guard let tokens = CharacterVocabulary.encode(problem.answer) else {
            preconditionFailure("answer \"\(problem.answer)\" holds characters outside the vocabulary")
        }
        return tokens + [CharacterVocabulary.endOfAnswer]
    }
}
