/// Where each named tensor sits in the one flat parameter buffer (and, identically, in the
/// gradient buffer). Matrices are row major with one row per output: a linear map from C to OC
/// channels is an [OC, C] block, as in `LinearLayer`.
///
/// Order: token embedding [V, C], position embedding [T, C], then per block ln1 weight and bias,
/// qkv weight [3C, C] and bias, attention projection [C, C] and bias, ln2 weight and bias,
/// MLP up [4C, C] and bias, MLP down [C, 4C] and bias; then the final LayerNorm weight and bias.
/// The LM head is tied to the token embedding (GPT-2's choice), so it adds no parameters.
public struct ParameterLayout: Sendable, Equatable {
    /// The tensors of one transformer block.
    public struct Block: Sendable, Equatable {
        public var norm1Weight, norm1Bias: Range<Int>
        public var qkvWeight, qkvBias: Range<Int>
        public var attentionProjectionWeight, attentionProjectionBias: Range<Int>
        public var norm2Weight, norm2Bias: Range<Int>
        public var mlpUpWeight, mlpUpBias: Range<Int>
        public var mlpDownWeight, mlpDownBias: Range<Int>
    }

    public let tokenEmbedding: Range<Int>
    public let positionEmbedding: Range<Int>
    public let blocks: [Block]
    public let finalNormWeight: Range<Int>
    public let finalNormBias: Range<Int>
    /// Total number of parameters.
    public let count: Int

    public init(_ config: TransformerConfig) {
        var cursor = 0
        func take(_ size: Int) -> Range<Int> {
            defer { cursor += size }
            return cursor..<(cursor + size)
        }
        let c = config.width, h = config.mlpWidth
        tokenEmbedding = take(config.vocabulary * c)
        positionEmbedding = take(config.context * c)
        var blocks: [Block] = []
        for _ in 0..<config.layers {
            blocks.append(Block(norm1Weight: take(c), norm1Bias: take(c),
                                qkvWeight: take(3 * c * c), qkvBias: take(3 * c),
                                attentionProjectionWeight: take(c * c), attentionProjectionBias: take(c),
                                norm2Weight: take(c), norm2Bias: take(c),
                                mlpUpWeight: take(h * c), mlpUpBias: take(h),
                                mlpDownWeight: take(c * h), mlpDownBias: take(c)))
        }
        self.blocks = blocks
        finalNormWeight = take(c)
        finalNormBias = take(c)
        count = cursor
    }

    /// Every tensor with a readable name, in buffer order; they tile 0..<count.
    public var namedTensors: [(name: String, range: Range<Int>)] {
        var list: [(String, Range<Int>)] = [("token embedding", tokenEmbedding), ("position embedding", positionEmbedding)]
        for (index, block) in blocks.enumerated() {
            let prefix = "block \(index) "
            list += [(prefix + "norm1 weight", block.norm1Weight), (prefix + "norm1 bias", block.norm1Bias),
                     (prefix + "qkv weight", block.qkvWeight), (prefix + "qkv bias", block.qkvBias),
                     (prefix + "attention projection weight", block.attentionProjectionWeight),
                     (prefix + "attention projection bias", block.attentionProjectionBias),
                     (prefix + "norm2 weight", block.norm2Weight), (prefix + "norm2 bias", block.norm2Bias),
                     (prefix + "mlp up weight", block.mlpUpWeight), (prefix + "mlp up bias", block.mlpUpBias),
                     (prefix + "mlp down weight", block.mlpDownWeight), (prefix + "mlp down bias", block.mlpDownBias)]
        }
        list += [("final norm weight", finalNormWeight), ("final norm bias", finalNormBias)]
        return list
    }
}
