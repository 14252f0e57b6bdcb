/// The policy network: a decoder-only transformer over characters (GPT-2's shape).
///
/// tokens → token + position embedding → L × [x += attention(LN1(x)); x += MLP(LN2(x))]
/// → final LayerNorm → logits = h · tokenEmbeddingᵀ (tied LM head) → softmax.
///
/// It owns no memory: parameters and their gradient are flat buffers laid out by
/// `ParameterLayout`, activations live in a `Workspace`. Forward and backward are written out
/// layer by layer, each layer a forward/backward pair of plain loops or GEMMs.
public struct Transformer: Sendable {
    public let config: TransformerConfig
    public let layout: ParameterLayout

    public init(config: TransformerConfig) {
        self.config = config
        layout = ParameterLayout(config)
    }

    /// Runs the batch the workspace holds (its tokens, B × T) and leaves every activation,
    /// including the probabilities, in the workspace.
    ///
    /// With `positions`, only those positions of every row are computed, reading the
    /// activations of earlier positions from the workspace: a key-value cache for decoding.
    /// Causal attention makes this exact as long as the earlier positions were computed from
    /// the same tokens.
    func forward(parameters: UnsafePointer<Float>, workspace: Workspace, positions: Range<Int>? = nil) {
        let act = workspace.layout, length = act.length
        let positions = positions ?? 0..<length
        precondition(positions.lowerBound >= 0 && positions.upperBound <= length, "positions outside the batch")
        let sets = RowSet.covering(positions: positions, batch: act.batch, length: length)
        EmbeddingLayer.forward(out: workspace.activations + act.encoded, tokens: workspace.tokens,
                               tokenTable: parameters + layout.tokenEmbedding.lowerBound,
                               positionTable: parameters + layout.positionEmbedding.lowerBound,
                               batch: act.batch, length: length, positions: positions, width: config.width)
        var residual = act.encoded
        for (p, x) in zip(layout.blocks, act.blocks) {
            for set in sets { attentionInputs(p, x, residual: residual, parameters, workspace, set) }
            AttentionLayer.forward(out: workspace.activations + x.attended, attention: workspace.activations + x.attention,
                                   qkv: workspace.activations + x.qkv, batch: act.batch, length: length,
                                   queries: positions, width: config.width, heads: config.heads)
            for set in sets { blockOutputs(p, x, residual: residual, parameters, workspace, set) }
            residual = x.residual3
        }
        for set in sets { head(parameters, workspace, set) }
    }

    /// LN1 and the qkv projection for the rows of `set`.
    private func attentionInputs(_ p: ParameterLayout.Block, _ x: ActivationLayout.Block, residual: Int,
                                 _ parameters: UnsafePointer<Float>, _ workspace: Workspace, _ set: RowSet) {
        let a = workspace.activations, c = config.width
        for (r, n) in set.runs {
            LayerNormLayer.forward(out: a + x.norm1 + r * c, mean: a + x.norm1Mean + r, reciprocalStd: a + x.norm1ReciprocalStd + r,
                                   input: a + residual + r * c, weight: parameters + p.norm1Weight.lowerBound,
                                   bias: parameters + p.norm1Bias.lowerBound, rows: n, width: c)
        }
        let r = set.first
        LinearLayer.forward(out: a + x.qkv + r * 3 * c, input: a + x.norm1 + r * c, weight: parameters + p.qkvWeight.lowerBound,
                            bias: parameters + p.qkvBias.lowerBound, rows: set.count, inputs: c, outputs: 3 * c, rowStride: set.stride)
    }

    /// Attention projection, first residual, LN2, MLP and second residual for the rows of `set`.
    private func blockOutputs(_ p: ParameterLayout.Block, _ x: ActivationLayout.Block, residual: Int,
                              _ parameters: UnsafePointer<Float>, _ workspace: Workspace, _ set: RowSet) {
        let a = workspace.activations, c = config.width, h = config.mlpWidth, r = set.first, n = set.count, s = set.stride
        LinearLayer.forward(out: a + x.attentionProjected + r * c, input: a + x.attended + r * c,
                            weight: parameters + p.attentionProjectionWeight.lowerBound,
                            bias: parameters + p.attentionProjectionBias.lowerBound, rows: n, inputs: c, outputs: c, rowStride: s)
        for (r, n) in set.runs {
            ResidualLayer.forward(out: a + x.residual2 + r * c, a + residual + r * c, a + x.attentionProjected + r * c, count: n * c)
            LayerNormLayer.forward(out: a + x.norm2 + r * c, mean: a + x.norm2Mean + r, reciprocalStd: a + x.norm2ReciprocalStd + r,
                                   input: a + x.residual2 + r * c, weight: parameters + p.norm2Weight.lowerBound,
                                   bias: parameters + p.norm2Bias.lowerBound, rows: n, width: c)
        }
        LinearLayer.forward(out: a + x.mlpHidden + r * h, input: a + x.norm2 + r * c, weight: parameters + p.mlpUpWeight.lowerBound,
                            bias: parameters + p.mlpUpBias.lowerBound, rows: n, inputs: c, outputs: h, rowStride: s)
        for (r, n) in set.runs {
            GELULayer.forward(out: a + x.mlpActivated + r * h, input: a + x.mlpHidden + r * h, count: n * h)
        }
        LinearLayer.forward(out: a + x.mlpOut + r * c, input: a + x.mlpActivated + r * h, weight: parameters + p.mlpDownWeight.lowerBound,
                            bias: parameters + p.mlpDownBias.lowerBound, rows: n, inputs: h, outputs: c, rowStride: s)
        for (r, n) in set.runs {
            ResidualLayer.forward(out: a + x.residual3 + r * c, a + x.residual2 + r * c, a + x.mlpOut + r * c, count: n * c)
        }
    }

    /// Final LayerNorm, tied LM head and softmax for the rows of `set`.
    private func head(_ parameters: UnsafePointer<Float>, _ workspace: Workspace, _ set: RowSet) {
        let a = workspace.activations, act = workspace.layout, c = config.width, v = config.vocabulary
        for (r, n) in set.runs {
            LayerNormLayer.forward(out: a + act.finalNorm + r * c, mean: a + act.finalMean + r,
                                   reciprocalStd: a + act.finalReciprocalStd + r, input: a + act.lastResidual + r * c,
                                   weight: parameters + layout.finalNormWeight.lowerBound,
                                   bias: parameters + layout.finalNormBias.lowerBound, rows: n, width: c)
        }
        LinearLayer.forward(out: a + act.logits + set.first * v, input: a + act.finalNorm + set.first * c,
                            weight: parameters + layout.tokenEmbedding.lowerBound, bias: nil,
                            rows: set.count, inputs: c, outputs: v, rowStride: set.stride)
        for (r, n) in set.runs {
            LogLikelihoodLayer.forward(probabilities: a + act.probabilities + r * v, logits: a + act.logits + r * v, rows: n, vocabulary: v)
        }
    }

    /// The weighted log-likelihood J = Σ weight · log p(target) of the workspace's targets and
    /// weights, from the last forward pass, in Float64.
    func objective(workspace: Workspace) -> Double {
        LogLikelihoodLayer.objective(logits: workspace.activations + workspace.layout.logits,
                                     targets: workspace.targets, weights: workspace.weights,
                                     rows: workspace.batch * workspace.length, vocabulary: config.vocabulary)
    }

    /// Adds ∂J/∂parameters (the ascent direction of J) into `gradient`, after `forward` on the
    /// same workspace and parameters. Activation gradients are the workspace's scratch.
    func backward(parameters: UnsafePointer<Float>, gradient: UnsafeMutablePointer<Float>, workspace: Workspace) {
        let a = UnsafePointer(workspace.activations), d = workspace.activationGradients, act = workspace.layout
        let n = act.batch * act.length, c = config.width
        d.update(repeating: 0, count: act.count)
        LogLikelihoodLayer.backward(logitsGradient: d + act.logits, probabilities: a + act.probabilities,
                                    targets: workspace.targets, weights: workspace.weights,
                                    rows: n, vocabulary: config.vocabulary)
        LinearLayer.backward(inputGradient: d + act.finalNorm, weightGradient: gradient + layout.tokenEmbedding.lowerBound,
                             biasGradient: nil, outGradient: d + act.logits, input: a + act.finalNorm,
                             weight: parameters + layout.tokenEmbedding.lowerBound,
                             rows: n, inputs: c, outputs: config.vocabulary)
        LayerNormLayer.backward(inputGradient: d + act.lastResidual, weightGradient: gradient + layout.finalNormWeight.lowerBound,
                                biasGradient: gradient + layout.finalNormBias.lowerBound, outGradient: d + act.finalNorm,
                                input: a + act.lastResidual, weight: parameters + layout.finalNormWeight.lowerBound,
                                mean: a + act.finalMean, reciprocalStd: a + act.finalReciprocalStd, rows: n, width: c)
        for l in stride(from: config.layers - 1, through: 0, by: -1) {
            let residual = l == 0 ? act.encoded : act.blocks[l - 1].residual3
            blockBackward(layout.blocks[l], act.blocks[l], residual: residual, parameters: parameters,
                          gradient: gradient, workspace: workspace)
        }
        EmbeddingLayer.backward(tokenTableGradient: gradient + layout.tokenEmbedding.lowerBound,
                                positionTableGradient: gradient + layout.positionEmbedding.lowerBound,
                                outGradient: d + act.encoded, tokens: workspace.tokens,
                                batch: act.batch, length: act.length, width: c)
    }

    /// One block backwards: from the gradient of its output (residual3) to the gradient of its
    /// input residual stream and of its parameters.
    private func blockBackward(_ p: ParameterLayout.Block, _ x: ActivationLayout.Block, residual: Int,
                               parameters: UnsafePointer<Float>, gradient: UnsafeMutablePointer<Float>,
                               workspace: Workspace) {
        let a = UnsafePointer(workspace.activations), d = workspace.activationGradients, act = workspace.layout
        let n = act.batch * act.length, c = config.width, h = config.mlpWidth
        ResidualLayer.backward(aGradient: d + x.residual2, bGradient: d + x.mlpOut, outGradient: d + x.residual3, count: n * c)
        LinearLayer.backward(inputGradient: d + x.mlpActivated, weightGradient: gradient + p.mlpDownWeight.lowerBound,
                             biasGradient: gradient + p.mlpDownBias.lowerBound, outGradient: d + x.mlpOut,
                             input: a + x.mlpActivated, weight: parameters + p.mlpDownWeight.lowerBound,
                             rows: n, inputs: h, outputs: c)
        GELULayer.backward(inputGradient: d + x.mlpHidden, outGradient: d + x.mlpActivated, input: a + x.mlpHidden, count: n * h)
        LinearLayer.backward(inputGradient: d + x.norm2, weightGradient: gradient + p.mlpUpWeight.lowerBound,
                             biasGradient: gradient + p.mlpUpBias.lowerBound, outGradient: d + x.mlpHidden,
                             input: a + x.norm2, weight: parameters + p.mlpUpWeight.lowerBound,
                             rows: n, inputs: c, outputs: h)
        LayerNormLayer.backward(inputGradient: d + x.residual2, weightGradient: gradient + p.norm2Weight.lowerBound,
                                biasGradient: gradient + p.norm2Bias.lowerBound, outGradient: d + x.norm2,
                                input: a + x.residual2, weight: parameters + p.norm2Weight.lowerBound,
                                mean: a + x.norm2Mean, reciprocalStd: a + x.norm2ReciprocalStd, rows: n, width: c)
        ResidualLayer.backward(aGradient: d + residual, bGradient: d + x.attentionProjected,
                               outGradient: d + x.residual2, count: n * c)
        LinearLayer.backward(inputGradient: d + x.attended, weightGradient: gradient + p.attentionProjectionWeight.lowerBound,
                             biasGradient: gradient + p.attentionProjectionBias.lowerBound, outGradient: d + x.attentionProjected,
                             input: a + x.attended, weight: parameters + p.attentionProjectionWeight.lowerBound,
                             rows: n, inputs: c, outputs: c)
        AttentionLayer.backward(qkvGradient: d + x.qkv, outGradient: d + x.attended, qkv: a + x.qkv,
                                attention: a + x.attention, scratch: workspace.scratch,
                                batch: act.batch, length: act.length, width: c, heads: config.heads)
        LinearLayer.backward(inputGradient: d + x.norm1, weightGradient: gradient + p.qkvWeight.lowerBound,
                             biasGradient: gradient + p.qkvBias.lowerBound, outGradient: d + x.qkv,
                             input: a + x.norm1, weight: parameters + p.qkvWeight.lowerBound,
                             rows: n, inputs: c, outputs: 3 * c)
        LayerNormLayer.backward(inputGradient: d + residual, weightGradient: gradient + p.norm1Weight.lowerBound,
                                biasGradient: gradient + p.norm1Bias.lowerBound, outGradient: d + x.norm1,
                                input: a + residual, weight: parameters + p.norm1Weight.lowerBound,
                                mean: a + x.norm1Mean, reciprocalStd: a + x.norm1ReciprocalStd, rows: n, width: c)
    }
}

extension Transformer {
    /// log p(continuation | prompt) under `parameters`: the sum of the continuation's token
    /// log-probabilities, in Float64. Both texts must be vocabulary characters and fit the
    /// context together.
    public func logLikelihood(parameters: [Float], prompt: String, continuation: String) -> Double {
        guard let promptTokens = CharacterVocabulary.encode(prompt), let tokens = CharacterVocabulary.encode(continuation),
              !promptTokens.isEmpty, promptTokens.count + tokens.count <= config.context + 1 else {
            preconditionFailure("prompt and continuation must be vocabulary text that fits the context")
        }
        let workspace = Workspace(config: config)
        workspace.loadContinuations(prompts: [promptTokens], continuations: [tokens], weights: [1])
        return evaluate(parameters: parameters, workspace: workspace)
    }

    /// Forward pass of the workspace's batch and its objective J.
    func evaluate(parameters: [Float], workspace: Workspace) -> Double {
        parameters.withUnsafeBufferPointer { forward(parameters: $0.baseAddress!, workspace: workspace) }
        return objective(workspace: workspace)
    }

    /// Forward and backward pass: returns J and adds ∂J/∂parameters into `gradient`.
    func evaluateWithGradient(parameters: [Float], workspace: Workspace, gradient: inout [Float]) -> Double {
        precondition(parameters.count == layout.count && gradient.count == layout.count, "buffers must match the layout")
        return parameters.withUnsafeBufferPointer { p in
            forward(parameters: p.baseAddress!, workspace: workspace)
            let value = objective(workspace: workspace)
            gradient.withUnsafeMutableBufferPointer { backward(parameters: p.baseAddress!, gradient: $0.baseAddress!, workspace: workspace) }
            return value
        }
    }
}
