/// The shape of the policy's decoder-only transformer.
public struct TransformerConfig: Sendable, Equatable {
    /// Number of tokens (`CharacterVocabulary.count` for the arithmetic tasks).
    public var vocabulary: Int
    /// Longest sequence, prompt plus answer; also the rows of the position embedding.
    public var context: Int
    /// Model width d (channels of the residual stream).
    public var width: Int
    /// Number of transformer blocks.
    public var layers: Int
    /// Attention heads per block; must divide `width`.
    public var heads: Int
    /// Hidden width of each MLP, as a multiple of `width`.
    public var mlpMultiplier: Int

    public init(vocabulary: Int = CharacterVocabulary.count, context: Int = 32, width: Int = 64,
                layers: Int = 2, heads: Int = 4, mlpMultiplier: Int = 4) {
        precondition(vocabulary > 0 && context > 0 && layers > 0, "sizes must be positive")
        precondition(heads > 0 && width % heads == 0, "heads must divide width")
        self.vocabulary = vocabulary
        self.context = context
        self.width = width
        self.layers = layers
        self.heads = heads
        self.mlpMultiplier = mlpMultiplier
    }

    /// 18 tokens, context 32, width 64, 2 layers, 4 heads, MLP 256: 103,296 parameters.
    public static let `default` = TransformerConfig()

    /// Channels per head.
    public var headWidth: Int { width / heads }
    /// Hidden width of each MLP.
    public var mlpWidth: Int { width * mlpMultiplier }
    /// Length of the flat parameter buffer.
    public var parameterCount: Int { ParameterLayout(self).count }
}
