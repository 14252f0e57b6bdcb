/// Writes answers: continues prompts token by token, greedily or by sampling at temperature 1.
///
/// Rows may start from prompts of different lengths: they are aligned at position 0 and padded
/// on the right, and each row reads the distribution at its own last position, which causal
/// attention keeps independent of the padding after it. Each step computes only the positions
/// not computed before from the same tokens (a key-value cache): everything below the shortest
/// row that just grew stays valid.
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
        let length = max(1, min(context, (prompts.map(\.count).max() ?? 0) + maxNewTokens - 1))
        workspace.prepare(batch: prompts.count, length: length)
        for (b, prompt) in prompts.enumerated() { workspace.setTokens(row: b, Array(prompt.prefix(length))) }
        var lengths = prompts.map(\.count)
        var written = [[Int32]](repeating: [], count: prompts.count)
        var active = lengths.map { $0 < context && maxNewTokens > 0 }
        var valid = 0  // positions 0..<valid hold final activations for every row
        while active.contains(true) {
            let rows = lengths.indices.filter { active[$0] }
            let needed = rows.map { lengths[$0] }.max()!
            transformer.forward(parameters: parameters, workspace: workspace, positions: valid..<needed)
            valid = min(needed, rows.map { lengths[$0] }.min()!)
            for b in rows {
                let probabilities = workspace.activations + workspace.layout.probabilities + (b * length + lengths[b] - 1) * vocabulary
                let token = streams.isEmpty ? mostLikely(probabilities, vocabulary) : draw(probabilities, vocabulary, &streams[b])
                written[b].append(token)
                if lengths[b] < length { workspace.setToken(row: b, position: lengths[b], token) }
                lengths[b] += 1
                if token == CharacterVocabulary.endOfAnswer || written[b].count == maxNewTokens || lengths[b] == context {
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
