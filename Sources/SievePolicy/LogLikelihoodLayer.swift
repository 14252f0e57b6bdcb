import Glibc

/// Softmax over the vocabulary and the weighted log-likelihood of target tokens, the objective
/// every gradient of the policy is taken of:
///
///     J = Σₙ weight[n] · log p(target[n] | logits[n])
///
/// Cross-entropy warm-up uses weight 1/(answer tokens) on answer positions (and ascends J);
/// GRPO uses weight A_j / G on rollout j's sampled tokens. Weight 0 positions (prompts, padding)
/// cost nothing in the backward pass. Shapes: logits and probabilities [N, V]; targets and
/// weights [N].
enum LogLikelihoodLayer {
    static func forward(probabilities: UnsafeMutablePointer<Float>, logits: UnsafePointer<Float>,
                        rows: Int, vocabulary: Int) {
        for n in 0..<rows {
            let z = logits + n * vocabulary, p = probabilities + n * vocabulary
            var largest = -Float.infinity
            for v in 0..<vocabulary { largest = max(largest, z[v]) }
            var total: Float = 0
            for v in 0..<vocabulary {
                p[v] = expf(z[v] - largest)
                total += p[v]
            }
            let inverse = 1 / total
            for v in 0..<vocabulary { p[v] *= inverse }
        }
    }

    /// J, accumulated in Float64 from the logits (log-sum-exp, so tiny probabilities stay exact).
    static func objective(logits: UnsafePointer<Float>, targets: UnsafePointer<Int32>, weights: UnsafePointer<Float>,
                          rows: Int, vocabulary: Int) -> Double {
        var total = 0.0
        for n in 0..<rows where weights[n] != 0 {
            let z = logits + n * vocabulary
            var largest = -Double.infinity
            for v in 0..<vocabulary { largest = max(largest, Double(z[v])) }
            var sum = 0.0
            for v in 0..<vocabulary { sum += exp(Double(z[v]) - largest) }
            total += Double(weights[n]) * (Double(z[Int(targets[n])]) - largest - log(sum))
        }
        return total
    }

    /// Writes dJ/dlogits[n, v] = weight[n] · (1[v = target[n]] − p[n, v]) (overwrites).
    static func backward(logitsGradient: UnsafeMutablePointer<Float>, probabilities: UnsafePointer<Float>,
                         targets: UnsafePointer<Int32>, weights: UnsafePointer<Float>, rows: Int, vocabulary: Int) {
        for n in 0..<rows {
            let d = logitsGradient + n * vocabulary, p = probabilities + n * vocabulary
            let w = weights[n]
            if w == 0 {
                for v in 0..<vocabulary { d[v] = 0 }
                continue
            }
            for v in 0..<vocabulary { d[v] = -w * p[v] }
            d[Int(targets[n])] += w
        }
    }
}
