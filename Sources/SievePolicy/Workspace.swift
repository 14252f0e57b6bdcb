/// The scratch memory of forward and backward passes: activations, their gradients, and the
/// batch's tokens, targets and weights. One workspace serves one thread; the policy's
/// parameters stay read-only, so any number of threads may score with the same policy, each
/// with its own workspace. Buffers grow to the largest batch seen and are reused.
final class Workspace {
    let config: TransformerConfig
    private(set) var layout: ActivationLayout
    private(set) var activations: UnsafeMutablePointer<Float>
    private(set) var activationGradients: UnsafeMutablePointer<Float>
    private(set) var tokens: UnsafeMutablePointer<Int32>
    private(set) var targets: UnsafeMutablePointer<Int32>
    private(set) var weights: UnsafeMutablePointer<Float>
    /// T floats for the attention backward pass.
    let scratch: UnsafeMutablePointer<Float>
    private var floatCapacity = 0
    private var positionCapacity = 0

    init(config: TransformerConfig) {
        self.config = config
        layout = ActivationLayout(config, batch: 0, length: 0)
        activations = .allocate(capacity: 1)
        activationGradients = .allocate(capacity: 1)
        tokens = .allocate(capacity: 1)
        targets = .allocate(capacity: 1)
        weights = .allocate(capacity: 1)
        scratch = .allocate(capacity: config.context)
    }

    deinit {
        activations.deallocate()
        activationGradients.deallocate()
        tokens.deallocate()
        targets.deallocate()
        weights.deallocate()
        scratch.deallocate()
    }

    var batch: Int { layout.batch }
    var length: Int { layout.length }

    /// Lays out a batch of B sequences of length T and fills tokens with padding, targets with
    /// 0 and weights with 0. Contents of earlier batches are gone.
    func prepare(batch: Int, length: Int) {
        precondition(batch > 0 && length > 0 && length <= config.context, "batch must fit the context")
        layout = ActivationLayout(config, batch: batch, length: length)
        if layout.count > floatCapacity {
            activations.deallocate()
            activationGradients.deallocate()
            floatCapacity = layout.count
            activations = .allocate(capacity: floatCapacity)
            activationGradients = .allocate(capacity: floatCapacity)
        }
        let positions = batch * length
        if positions > positionCapacity {
            tokens.deallocate(); targets.deallocate(); weights.deallocate()
            positionCapacity = positions
            tokens = .allocate(capacity: positions)
            targets = .allocate(capacity: positions)
            weights = .allocate(capacity: positions)
        }
        tokens.update(repeating: CharacterVocabulary.padding, count: positions)
        targets.update(repeating: 0, count: positions)
        weights.update(repeating: 0, count: positions)
    }

    /// Sets row b's tokens from position 0 (the rest of the row stays padding).
    func setTokens(row b: Int, _ values: [Int32]) {
        precondition(values.count <= length, "sequence longer than the batch length")
        for (t, token) in values.enumerated() { tokens[b * length + t] = token }
    }

    /// Sets the token at position t of row b.
    func setToken(row b: Int, position t: Int, _ token: Int32) {
        precondition(t < length, "position outside the batch")
        tokens[b * length + t] = token
    }

    /// Position (b, t) will count in the objective: target token and weight.
    func setTarget(row b: Int, position t: Int, token: Int32, weight: Float) {
        targets[b * length + t] = token
        weights[b * length + t] = weight
    }

    /// Lays out teacher-forced rows "prompt + continuation": position t reads token t and
    /// predicts token t + 1, and each continuation token is a target with its row's weight
    /// (prompt positions weigh 0). The batch length is the longest row minus one.
    func loadContinuations(prompts: [[Int32]], continuations: [[Int32]], weights: [Float]) {
        precondition(prompts.count == continuations.count && prompts.count == weights.count, "one entry per row")
        let length = max(1, zip(prompts, continuations).map { $0.count + $1.count - 1 }.max() ?? 1)
        prepare(batch: prompts.count, length: length)
        for b in prompts.indices {
            let full = prompts[b] + continuations[b]
            setTokens(row: b, Array(full.dropLast()))
            for t in max(prompts[b].count - 1, 0)..<(full.count - 1) {
                setTarget(row: b, position: t, token: full[t + 1], weight: weights[b])
            }
        }
    }
}
