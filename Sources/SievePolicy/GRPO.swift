/// Group Relative Policy Optimization on the arithmetic tasks: per-problem gradients for scoring
/// and batch gradients for training.
///
/// For a problem with prompt x, G rollouts y_1…y_G are sampled from the policy at temperature 1
/// (each at most `ArithmeticTasks.answerTokenLimit` tokens, ending at the end-of-answer token).
/// Reward r_j = 1 when y_j is the LABELLED answer (so noisy labels reward wrong answers), else 0.
/// Advantage A_j = r_j − mean(r) (no division by the standard deviation). The per-problem
/// gradient is
///
///     g = (1/G) Σ_j A_j ∇_θ log p_θ(y_j | x),   log p_θ(y | x) = Σ_t log p_θ(y_t | x, y_<t)
///
/// over all parameters. Sign convention: g is the ASCENT direction of expected reward (it is
/// the gradient of the objective J = Σ_j (A_j/G) log p(y_j | x)); to train, pass it to
/// `AdamW.ascend` (or its negation to `AdamW.step`). When all rewards agree, every A_j is 0 and
/// g = 0 exactly.
///
/// Determinism: rollout j of a problem draws from the stream named (seed, epoch, split, index,
/// j), so it depends only on the policy's parameters and those numbers — not on the worker, the
/// thread or the other problems. "epoch" names a round of rollouts: the curriculum epoch when
/// scoring, the step number when training.
public enum GRPO {
    /// G, the rollouts per problem.
    public static let defaultRollouts = 8

    /// The problem's signals: rewards, success rate, projected gradient and its full norm, and
    /// the angle. Reads `policy` only, so calls for different problems may run concurrently.
    public static func signals(policy: Policy, problem: Problem, rollouts: Int = defaultRollouts, seed: UInt64,
                               epoch: UInt64, projection: GradientProjection) -> ProblemSignals {
        signals(policy.parameters, Transformer(config: policy.config), problem, rollouts, seed, epoch, projection,
                Workspace(config: policy.config))
    }

    /// The signals of every problem, computed on `threads` threads; element i belongs to
    /// problems[i] and is identical to what `signals(policy:problem:…)` gives for it.
    public static func signals(policy: Policy, problems: [Problem], rollouts: Int = defaultRollouts, seed: UInt64,
                               epoch: UInt64, projection: GradientProjection, threads: Int) -> [ProblemSignals] {
        let parameters = policy.parameters, transformer = Transformer(config: policy.config)
        let results = UnsafeMutableBufferPointer<ProblemSignals?>.allocate(capacity: problems.count)
        results.initialize(repeating: nil)
        defer {
            results.deinitialize()
            results.deallocate()
        }
        ParallelLoop.run(items: problems.count, threads: threads, config: policy.config) { i, workspace in
            results[i] = signals(parameters, transformer, problems[i], rollouts, seed, epoch, projection, workspace)
        }
        return results.map { $0! }
    }

    /// GradAlign's trusted directions: the projected per-problem GRPO gradients of validation
    /// problems (clean labels), in problem order. Exactly the `projectedGradient` of `signals`.
    public static func validationGradients(policy: Policy, problems: [Problem], rollouts: Int = defaultRollouts,
                                           seed: UInt64, epoch: UInt64, projection: GradientProjection,
                                           threads: Int) -> [[Float]] {
        signals(policy: policy, problems: problems, rollouts: rollouts, seed: seed, epoch: epoch,
                projection: projection, threads: threads).map(\.projectedGradient)
    }

    /// Adds the batch gradient Σ_i g_i of `problems` into `gradient` (the ascent direction; not
    /// divided by the number of problems) and returns the rollouts' reward sum and count
    /// (problems × G). Each g_i is computed on its own and added in problem order in Float32,
    /// so the result is bitwise the same for any `threads`; splitting a batch into parts and
    /// calling this for each part into the same buffer, in order, gives bitwise the single-call
    /// result, and summing parts from separate buffers gives it to float rounding.
    @discardableResult
    public static func gradientSum(policy: Policy, problems: [Problem], rollouts: Int = defaultRollouts, seed: UInt64,
                                   epoch: UInt64, into gradient: inout [Float], threads: Int = 1) -> (rewardSum: Double, count: Int) {
        let parameters = policy.parameters, transformer = Transformer(config: policy.config)
        precondition(gradient.count == parameters.count, "gradient buffer must have one value per parameter")
        let lanes = max(1, threads)
        var buffers = (0..<lanes).map { _ in [Float](repeating: 0, count: parameters.count) }  // one per lane, unshared
        let workspaces = (0..<lanes).map { _ in Workspace(config: policy.config) }
        var rewardSum = 0.0
        for waveStart in stride(from: 0, to: problems.count, by: lanes) {
            let wave = Array(problems[waveStart..<min(waveStart + lanes, problems.count)])
            var rewards = [[Float]](repeating: [], count: wave.count)
            buffers.withUnsafeMutableBufferPointer { buffers in
                rewards.withUnsafeMutableBufferPointer { rewards in
                    ParallelLoop.run(items: wave.count, workspaces: workspaces) { i, workspace in
                        rewards[i] = buffers[i].withUnsafeMutableBufferPointer {
                            problemGradient(parameters, transformer, wave[i], rollouts, seed, epoch, workspace, into: $0)
                        }
                    }
                }
            }
            for i in wave.indices {
                rewardSum += rewards[i].reduce(0.0) { $0 + Double($1) }
                add(buffers[i], into: &gradient)
            }
        }
        return (rewardSum, problems.count * rollouts)
    }

    /// One GRPO training step: the mean of the problems' gradients, ascended with `optimizer`.
    /// Returns the mean reward of the step's rollouts (before the update).
    @discardableResult
    public static func trainStep(policy: Policy, problems: [Problem], rollouts: Int = defaultRollouts, seed: UInt64,
                                 epoch: UInt64, optimizer: inout AdamW, threads: Int = 1) -> Double {
        var gradient = [Float](repeating: 0, count: policy.parameters.count)
        let (rewardSum, count) = gradientSum(policy: policy, problems: problems, rollouts: rollouts, seed: seed,
                                             epoch: epoch, into: &gradient, threads: threads)
        let scale = 1 / Float(max(problems.count, 1))
        for i in gradient.indices { gradient[i] *= scale }
        optimizer.ascend(parameters: &policy.parameters, direction: gradient)
        return count == 0 ? 0 : rewardSum / Double(count)
    }

    /// Mean reward of G sampled rollouts per problem, without any gradient (the same rollouts
    /// `signals` and `gradientSum` would draw for this seed and epoch).
    public static func meanReward(policy: Policy, problems: [Problem], rollouts: Int = defaultRollouts, seed: UInt64,
                                  epoch: UInt64, threads: Int = 1) -> Double {
        let parameters = policy.parameters, transformer = Transformer(config: policy.config)
        var sums = [Double](repeating: 0, count: problems.count)
        sums.withUnsafeMutableBufferPointer { sums in
            ParallelLoop.run(items: problems.count, threads: threads, config: policy.config) { i, workspace in
                let rewards = parameters.withUnsafeBufferPointer {
                    sample(transformer, $0.baseAddress!, problems[i], rollouts, seed, epoch, workspace).rewards
                }
                sums[i] = rewards.reduce(0.0) { $0 + Double($1) }
            }
        }
        return problems.isEmpty ? 0 : sums.reduce(0, +) / Double(problems.count * rollouts)
    }
}
