import Glibc

/// Supervised warm-up: cross-entropy on the answer tokens of a small clean set, so GRPO starts
/// from a partially competent policy (rollouts of a random policy would all score 0 and give no
/// gradient).
public enum WarmUp {
    /// Trains `policy` in place for `steps` AdamW steps on batches drawn with replacement from
    /// `problems` and returns the mean cross-entropy per answer token of each step's batch.
    ///
    /// Targets are each problem's labelled answer followed by the end token, so pass clean
    /// problems. Batch b of a run is a pure function of (seed, b), and the learning rate decays
    /// from `learningRate` to a tenth along a cosine; the result depends only on the arguments.
    @discardableResult
    public static func train(policy: Policy, problems: [Problem], steps: Int, seed: UInt64,
                             batchSize: Int = 32, learningRate: Float = 3e-3, weightDecay: Float = 0.01) -> [Double] {
        precondition(!problems.isEmpty, "warm-up needs problems")
        let transformer = Transformer(config: policy.config), workspace = Workspace(config: policy.config)
        var optimizer = AdamW(parameterCount: policy.parameters.count, learningRate: learningRate, weightDecay: weightDecay)
        var gradient = [Float](repeating: 0, count: policy.parameters.count)
        var losses: [Double] = []
        for step in 0..<steps {
            var draws = RandomStream(seed, RandomPurpose.warmUpBatch.rawValue, UInt64(step))
            let batch = (0..<batchSize).map { _ in problems[draws.nextInt(below: problems.count)] }
            let answers = batch.map { answerTokens($0) }
            let tokenCount = answers.reduce(0) { $0 + $1.count }
            workspace.loadContinuations(prompts: batch.map(\.promptTokens), continuations: answers,
                                        weights: Array(repeating: 1 / Float(tokenCount), count: batch.count))
            gradient.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
            let logLikelihood = transformer.evaluateWithGradient(parameters: policy.parameters, workspace: workspace,
                                                                  gradient: &gradient)
            losses.append(-logLikelihood)
            let progress = Double(step) / Double(max(steps - 1, 1))
            optimizer.learningRate = learningRate * Float(0.55 + 0.45 * cos(Double.pi * progress))
            optimizer.ascend(parameters: &policy.parameters, direction: gradient)
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
