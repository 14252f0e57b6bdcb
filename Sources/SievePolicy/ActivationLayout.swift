/// Where each activation of one forward pass over B sequences of length T sits in a workspace's
/// flat activation buffer (offsets in floats). The activation-gradient buffer uses the same
/// layout, so `gradients + offset` is the gradient of `activations + offset`.
struct ActivationLayout {
    /// The activations of one block, in the order the forward pass makes them.
    struct Block {
        var norm1 = 0, norm1Mean = 0, norm1ReciprocalStd = 0
        var qkv = 0, attention = 0, attended = 0, attentionProjected = 0, residual2 = 0
        var norm2 = 0, norm2Mean = 0, norm2ReciprocalStd = 0
        var mlpHidden = 0, mlpActivated = 0, mlpOut = 0, residual3 = 0
    }

    let batch: Int
    let length: Int
    var encoded = 0
    var blocks: [Block] = []
    var finalNorm = 0, finalMean = 0, finalReciprocalStd = 0
    var logits = 0, probabilities = 0
    /// Floats the layout needs.
    private(set) var count = 0

    init(_ config: TransformerConfig, batch: Int, length: Int) {
        self.batch = batch
        self.length = length
        let n = batch * length, c = config.width
        encoded = take(n * c)
        for _ in 0..<config.layers {
            var block = Block()
            block.norm1 = take(n * c)
            block.norm1Mean = take(n)
            block.norm1ReciprocalStd = take(n)
            block.qkv = take(3 * n * c)
            block.attention = take(batch * config.heads * length * length)
            block.attended = take(n * c)
            block.attentionProjected = take(n * c)
            block.residual2 = take(n * c)
            block.norm2 = take(n * c)
            block.norm2Mean = take(n)
            block.norm2ReciprocalStd = take(n)
            block.mlpHidden = take(n * config.mlpWidth)
            block.mlpActivated = take(n * config.mlpWidth)
            block.mlpOut = take(n * c)
            block.residual3 = take(n * c)
            blocks.append(block)
        }
        finalNorm = take(n * c)
        finalMean = take(n)
        finalReciprocalStd = take(n)
        logits = take(n * config.vocabulary)
        probabilities = take(n * config.vocabulary)
    }

    private mutating func take(_ size: Int) -> Int {
        defer { count += size }
        return count
    }

    /// The residual stream leaving the last block (the input of the final LayerNorm).
    var lastResidual: Int { blocks.isEmpty ? encoded : blocks[blocks.count - 1].residual3 }
}
