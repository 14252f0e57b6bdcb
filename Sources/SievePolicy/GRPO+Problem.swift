/// The per-problem work behind `GRPO`: rollouts, the per-problem gradient, the signals.
extension GRPO {
    /// The G rollouts of a problem and their training rewards (against the labelled answer,
    /// inverted for an unreliable problem that says so).
    static func sample(_ transformer: Transformer, _ parameters: UnsafePointer<Float>, _ problem: Problem,
                       _ rollouts: Int, _ seed: UInt64, _ epoch: UInt64,
                       _ workspace: Workspace) -> (written: [[Int32]], rewards: [Float]) {
        precondition(rollouts > 0, "GRPO needs at least one rollout")
        let streams = (0..<rollouts).map {
            RandomStream(seed, RandomPurpose.rollout.rawValue, epoch, problem.split.rawValue, UInt64(problem.index), UInt64($0))
        }
        let written = answers(transformer, parameters, problem, streams: streams, workspace)
        return (written, written.map { problem.trainingReward(written: $0) })
    }

    /// One answer to `problem` per stream, sampled at temperature 1 (answer j from streams[j]):
    /// GRPO's rollouts and sampled evaluation both draw this way, with streams of their own.
    static func answers(_ transformer: Transformer, _ parameters: UnsafePointer<Float>, _ problem: Problem,
                        streams: [RandomStream], _ workspace: Workspace) -> [[Int32]] {
        Decoder.generate(transformer, parameters: parameters, prompts: Array(repeating: problem.promptTokens, count: streams.count),
                         maxNewTokens: ArithmeticTasks.answerTokenLimit, choice: .sample(streams), workspace: workspace)
    }

    /// Overwrites `gradient` with the problem's g = (1/G) Σ_j A_j ∇ log p(y_j | x) and returns
    /// the rewards.
    static func problemGradient(_ parameters: [Float], _ transformer: Transformer, _ problem: Problem,
                                _ rollouts: Int, _ seed: UInt64, _ epoch: UInt64, _ workspace: Workspace,
                                into gradient: UnsafeMutableBufferPointer<Float>) -> [Float] {
        gradient.update(repeating: 0)
        return parameters.withUnsafeBufferPointer { p in
            let (written, rewards) = sample(transformer, p.baseAddress!, problem, rollouts, seed, epoch, workspace)
            let mean = rewards.reduce(0, +) / Float(rollouts)
            let advantages = rewards.map { $0 - mean }
            guard advantages.contains(where: { $0 != 0 }) else { return rewards }
            workspace.loadContinuations(prompts: Array(repeating: problem.promptTokens, count: rollouts),
                                        continuations: written, weights: advantages.map { $0 / Float(rollouts) })
            transformer.forward(parameters: p.baseAddress!, workspace: workspace)
            transformer.backward(parameters: p.baseAddress!, gradient: gradient.baseAddress!, workspace: workspace)
            return rewards
        }
    }

    static func signals(_ parameters: [Float], _ transformer: Transformer, _ problem: Problem, _ rollouts: Int,
                        _ seed: UInt64, _ epoch: UInt64, _ projection: GradientProjection,
                        _ workspace: Workspace) -> ProblemSignals {
        precondition(projection.inputDimension == parameters.count, "projection does not match the policy's parameters")
        var gradient = [Float](repeating: 0, count: parameters.count)
        let rewards = gradient.withUnsafeMutableBufferPointer {
            problemGradient(parameters, transformer, problem, rollouts, seed, epoch, workspace, into: $0)
        }
        let mixed = Set(rewards).count > 1  // otherwise g is exactly zero: skip the O(P) passes
        let norm = mixed ? gradient.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot() : 0
        let projected = mixed ? projection.project(gradient) : [Float](repeating: 0, count: projection.outputDimension)
        return ProblemSignals(success: rewards.reduce(0, +) / Float(rollouts), rewards: rewards,
                              projectedGradient: projected, gradientNorm: Float(norm),
                              angle: angle(parameters, transformer, problem, workspace))
    }

    /// The angle signal of the prompt (its first `context` tokens if it is longer).
    static func angle(_ parameters: [Float], _ transformer: Transformer, _ problem: Problem, _ workspace: Workspace) -> Float {
        let prompt = Array(problem.promptTokens.prefix(transformer.config.context))
        workspace.prepare(batch: 1, length: prompt.count)
        workspace.setTokens(row: 0, prompt)
        return parameters.withUnsafeBufferPointer { p in
            transformer.forward(parameters: p.baseAddress!, workspace: workspace)
            return AngleSignal.angle(hidden: workspace.activations + workspace.layout.finalNorm, length: prompt.count,
                                     width: transformer.config.width, prefixLength: problem.prefixLength)
        }
    }

    static func add(_ values: [Float], into sum: inout [Float]) {
        sum.withUnsafeMutableBufferPointer { s in
            values.withUnsafeBufferPointer { v in
                for i in 0..<s.count { s[i] += v[i] }
            }
        }
    }
}
