import Glibc

/// Adam with decoupled weight decay (Loshchilov and Hutter) over the flat parameter buffer.
///
/// Sign convention: `step` DESCENDS — it takes the gradient of a loss. Everything the policy
/// computes is an ascent direction (the gradient of a log-likelihood or of expected reward), so
/// callers either pass its negation to `step` or use `ascend`, which is exactly `step` on the
/// negated direction: gradient ascent on reward is descent on −reward.
public struct AdamW: Sendable {
    public var learningRate: Float
    public var beta1: Float
    public var beta2: Float
    public var epsilon: Float
    /// Decoupled decay: each step multiplies every parameter by (1 − learningRate · weightDecay).
    /// Applied to all parameters alike.
    public var weightDecay: Float
    /// Steps taken so far (bias correction uses it).
    public private(set) var stepCount = 0
    private var firstMoment: [Float]
    private var secondMoment: [Float]

    public init(parameterCount: Int, learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999,
                epsilon: Float = 1e-8, weightDecay: Float = 0) {
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        firstMoment = [Float](repeating: 0, count: parameterCount)
        secondMoment = [Float](repeating: 0, count: parameterCount)
    }

    /// One descent step on a loss whose gradient is `gradient`.
    public mutating func step(parameters: inout [Float], gradient: [Float]) {
        update(&parameters, gradient, sign: 1)
    }

    /// One ascent step along `direction` (e.g. a GRPO gradient): `step` on −direction.
    public mutating func ascend(parameters: inout [Float], direction: [Float]) {
        update(&parameters, direction, sign: -1)
    }

    /// Adam's per-parameter step scale, sqrt(v̂_i) + ε with v̂ the bias-corrected second moment:
    /// an ascent step moves parameter i by about lr · m̂_i / (sqrt(v̂_i) + ε). Nil before the
    /// first step (there is no second moment yet).
    public var stepScale: [Float]? {
        guard stepCount > 0 else { return nil }
        let correction2 = 1 - powf(beta2, Float(stepCount))
        return secondMoment.map { ($0 / correction2).squareRoot() + epsilon }
    }

    private mutating func update(_ parameters: inout [Float], _ gradient: [Float], sign: Float) {
        precondition(parameters.count == firstMoment.count && gradient.count == firstMoment.count, "sizes must match")
        stepCount += 1
        let correction1 = 1 - powf(beta1, Float(stepCount)), correction2 = 1 - powf(beta2, Float(stepCount))
        let (b1, b2, lr, eps, decay) = (beta1, beta2, learningRate, epsilon, weightDecay)
        parameters.withUnsafeMutableBufferPointer { p in
            firstMoment.withUnsafeMutableBufferPointer { m in
                secondMoment.withUnsafeMutableBufferPointer { v in
                    gradient.withUnsafeBufferPointer { g in
                        for i in 0..<p.count {
                            let x = sign * g[i]
                            m[i] = b1 * m[i] + (1 - b1) * x
                            v[i] = b2 * v[i] + (1 - b2) * x * x
                            let mHat = m[i] / correction1, vHat = v[i] / correction2
                            p[i] -= lr * (mHat / (vHat.squareRoot() + eps) + decay * p[i])
                        }
                    }
                }
            }
        }
    }
}
