/// The policy: a transformer's configuration and its one flat parameter buffer.
///
/// Scoring only reads `parameters`, so many threads may score with one policy at once (each with
/// its own `Workspace`); only the training loop writes them, between scoring passes, on the one
/// thread that owns the policy then. That is the contract behind `@unchecked Sendable`: a
/// policy shared across threads (the worker's `LiveSignals`, the coordinator's scoring) is
/// never written; who trains replaces it with a new one (`LiveSignals.update`).
public final class Policy: @unchecked Sendable {
    public let config: TransformerConfig
    /// All weights, laid out by `ParameterLayout(config)`.
    public var parameters: [Float]

    /// A freshly initialized policy, GPT-2 style: embeddings and matrices N(0, 0.02²), the two
    /// projections that write into the residual stream scaled by 1/√(2L), LayerNorm weights 1,
    /// biases 0. The weights are a pure function of (config, seed).
    public init(config: TransformerConfig = .default, seed: UInt64) {
        self.config = config
        let layout = ParameterLayout(config)
        var parameters = [Float](repeating: 0, count: layout.count)
        var draws = RandomStream(seed, RandomPurpose.initialWeights.rawValue)
        let residualScale = 1 / Double(2 * config.layers).squareRoot()
        func fill(_ range: Range<Int>, std: Double) {
            for i in range { parameters[i] = Float(draws.nextNormal() * std) }
        }
        fill(layout.tokenEmbedding, std: 0.02)
        fill(layout.positionEmbedding, std: 0.02)
        for block in layout.blocks {
            for range in [block.norm1Weight, block.norm2Weight] { parameters[range] = ArraySlice(repeating: 1, count: range.count) }
            fill(block.qkvWeight, std: 0.02)
            fill(block.attentionProjectionWeight, std: 0.02 * residualScale)
            fill(block.mlpUpWeight, std: 0.02)
            fill(block.mlpDownWeight, std: 0.02 * residualScale)
        }
        parameters[layout.finalNormWeight] = ArraySlice(repeating: 1, count: config.width)
        self.parameters = parameters
    }

    /// A policy with the given parameters; their count must match the config.
    public init(config: TransformerConfig, parameters: [Float]) {
        precondition(parameters.count == config.parameterCount, "parameter count does not match the config")
        self.config = config
        self.parameters = parameters
    }

    /// An independent copy (training one leaves the other as it was).
    public func copy() -> Policy {
        Policy(config: config, parameters: parameters)
    }

    /// Writes the policy to `path` (see `Checkpoint` for the format).
    public func save(to path: String) throws {
        try Checkpoint.write(self, to: path)
    }

    /// Reads a policy written by `save(to:)`.
    public static func load(from path: String) throws -> Policy {
        try Checkpoint.read(from: path)
    }
}
