/// Writes answers: continues prompts token by token, greedily or by sampling at temperature 1.
///
/// Rows may start from prompts of different lengths: they are aligned at position 0 and padded
/// on the right, and each row reads the distribution at its own last position, which causal
/// attention keeps independent of the padding after it. Each step re-runs the forward pass over
/// the whole prefix (answers are a handful of tokens, so a key-value cache would save little).
enum Decoder {
    /// How the next token is chosen.
    enum Choice {
        /// The most likely token; ties go to the lower id.
        case greedy
        /// A draw from the softmax (temperature 1), one stream per row: row b's tokens depend
        /// only on its own stream and the model, never on the other rows.
        case sample([RandomStream])
    }

    /// The tokens each row writes after its prompt: up to and including the end-of-answer
    /// token, or fewer when the row reaches `maxNewTokens` or fills the context first. A prompt
    /// that already fills the context gets nothing.
    static func generate(_ transformer: Transformer, parameters: UnsafePointer<Float>, prompts: [[Int32]],
                         maxNewTokens: Int, choice: Choice, workspace: Workspace) -> [[Int32]] {
        let context = transformer.config.context, vocabulary = transformer.config.vocabulary
        var streams: [RandomStream] = []
        if case .sample(let given) = choice {
            precondition(given.count == prompts.count, "one random stream per row")
            streams = given
        }
        var sequences = prompts
        var written = [[Int32]](repeating: [], count: prompts.count)
        var active = prompts.map { $0.count < context && maxNewTokens > 0 }
        while active.contains(true) {
            let length = sequences.indices.filter { active[$0] }.map { sequences[$0].count }.max()!
            workspace.prepare(batch: sequences.count, length: length)
            for (b, sequence) in sequences.enumerated() { workspace.setTokens(row: b, Array(sequence.prefix(length))) }
            transformer.forward(parameters: parameters, workspace: workspace)
            for b in sequences.indices where active[b] {
                let row = workspace.activations + workspace.layout.probabilities
                    + (b * length + sequences[b].count - 1) * vocabulary
                let token = streams.isEmpty ? mostLikely(row, vocabulary) : draw(row, vocabulary, &streams[b])
                sequences[b].append(token)
                written[b].append(token)
                if token == CharacterVocabulary.endOfAnswer || written[b].count == maxNewTokens
                    || sequences[b].count == context {
                    active[b] = false
                }
            }
        }
        return written
    }

    private static func mostLikely(_ probabilities: UnsafePointer<Float>, _ vocabulary: Int) -> Int32 {
        var best = 0
        for v in 1..<vocabulary where probabilities[v] > probabilities[best] { best = v }
        return Int32(best)
    }

    private static func draw(_ probabilities: UnsafePointer<Float>, _ vocabulary: Int, _ stream: inout RandomStream) -> Int32 {
        let u = stream.nextUnit()
        var cumulative = 0.0, last = 0
        for v in 0..<vocabulary where probabilities[v] > 0 {
            cumulative += Double(probabilities[v])
            last = v
            if u < cumulative { return Int32(v) }
        }
        return Int32(last)  // u beyond the rounded total: the last possible token
    }
}
