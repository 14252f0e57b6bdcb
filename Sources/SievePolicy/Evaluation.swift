/// Test accuracy: greedy decoding (argmax at every step) checked against the TRUE answer.
public enum Evaluation {
    /// Problems decoded per forward pass.
    static let batchSize = 64

    /// Share of `problems` the policy answers correctly; 0 for no problems.
    public static func accuracy(policy: Policy, problems: [Problem]) -> Double {
        let correct = correctness(policy: policy, problems: problems)
        return correct.isEmpty ? 0 : Double(correct.filter { $0 }.count) / Double(correct.count)
    }

    /// Accuracy per tier (index = tier; NaN for a tier with no problems). Low-utility problems
    /// (tier −1) are left out.
    public static func accuracyByTier(policy: Policy, problems: [Problem]) -> [Double] {
        let correct = correctness(policy: policy, problems: problems)
        var right = [Int](repeating: 0, count: ArithmeticTasks.tiers.count), total = right
        for (problem, ok) in zip(problems, correct) where problem.tier >= 0 {
            total[problem.tier] += 1
            if ok { right[problem.tier] += 1 }
        }
        return zip(right, total).map { $1 == 0 ? .nan : Double($0) / Double($1) }
    }

    /// The greedy answer to each problem, as text (without the end token).
    public static func greedyAnswers(policy: Policy, problems: [Problem]) -> [String] {
        written(policy: policy, problems: problems).map { tokens in
            CharacterVocabulary.decode(tokens.filter { $0 != CharacterVocabulary.endOfAnswer })
        }
    }

    /// Whether each problem's greedy answer is its true answer.
    public static func correctness(policy: Policy, problems: [Problem]) -> [Bool] {
        zip(written(policy: policy, problems: problems), problems).map { Reward.score(written: $0, answer: $1.trueAnswer) == 1 }
    }

    /// For each problem, how many of `samples` rollouts at temperature 1 write its TRUE answer
    /// (never the labelled one, never an inverted reward): sampled accuracy is their mean over
    /// problems and samples. Rollout j of a problem draws from the stream named
    /// (seed, evaluation, split, index, j), so the counts depend on the weights and those numbers
    /// only, not on `threads` or on which worker computes them.
    public static func sampledCorrect(policy: Policy, problems: [Problem], samples: Int, seed: UInt64, threads: Int = 1) -> [Int] {
        precondition(samples > 0, "sampled accuracy needs at least one sample")
        let transformer = Transformer(config: policy.config), parameters = policy.parameters
        var counts = [Int](repeating: 0, count: problems.count)
        counts.withUnsafeMutableBufferPointer { counts in
            ParallelLoop.run(items: problems.count, threads: threads, config: policy.config) { i, workspace in
                let problem = problems[i]
                let streams = (0..<samples).map {
                    RandomStream(seed, RandomPurpose.evaluationSample.rawValue, problem.split.rawValue, UInt64(problem.index), UInt64($0))
                }
                let written = parameters.withUnsafeBufferPointer {
                    GRPO.answers(transformer, $0.baseAddress!, problem, streams: streams, workspace)
                }
                counts[i] = written.filter { Reward.score(written: $0, answer: problem.trueAnswer) == 1 }.count
            }
        }
        return counts
    }

    private static func written(policy: Policy, problems: [Problem]) -> [[Int32]] {
        let transformer = Transformer(config: policy.config), workspace = Workspace(config: policy.config)
        let parameters = policy.parameters
        var result: [[Int32]] = []
        for start in stride(from: 0, to: problems.count, by: batchSize) {
            let batch = problems[start..<min(start + batchSize, problems.count)]
            result += parameters.withUnsafeBufferPointer {
                Decoder.generate(transformer, parameters: $0.baseAddress!, prompts: batch.map(\.promptTokens),
                                 maxNewTokens: ArithmeticTasks.answerTokenLimit, choice: .greedy, workspace: workspace)
            }
        }
        return result
    }
}
