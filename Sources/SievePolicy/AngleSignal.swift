/// GAIN-RL's angle concentration of a prompt, from the last layer's hidden states.
///
/// The hidden states are the output of the final LayerNorm (what the LM head reads, and what
/// Hugging Face models return as the last `hidden_states`), one vector h_t per prompt token.
/// With P the fixed-prefix positions and Q the question positions (the rest of the prompt):
///
///     C_intra = mean over pairs {i < j} ⊂ Q of cos(h_i, h_j)
///     C_inter = mean over i ∈ Q, k ∈ P of cos(h_i, h_k)
///     angle   = C_intra + C_inter
///
/// An empty set of pairs contributes 0. Higher means more concentrated (smaller angles), which
/// GAIN-RL reads as easier to learn from.
enum AngleSignal {
    /// `hidden` holds `length` rows of `width` values; positions 0..<prefixLength are the
    /// prefix, prefixLength..<length the question.
    static func angle(hidden: UnsafePointer<Float>, length: Int, width: Int, prefixLength: Int) -> Float {
        var unit = [[Double]]()
        for t in 0..<length {
            let row = (0..<width).map { Double(hidden[t * width + $0]) }
            let norm = row.reduce(0) { $0 + $1 * $1 }.squareRoot()
            unit.append(norm > 0 ? row.map { $0 / norm } : row)
        }
        func cosine(_ a: Int, _ b: Int) -> Double { zip(unit[a], unit[b]).reduce(0) { $0 + $1.0 * $1.1 } }
        let prefix = 0..<min(prefixLength, length), question = min(prefixLength, length)..<length
        var intra = 0.0, intraPairs = 0, inter = 0.0, interPairs = 0
        for i in question {
            for j in question where j > i {
                intra += cosine(i, j)
                intraPairs += 1
            }
            for k in prefix {
                inter += cosine(i, k)
                interPairs += 1
            }
        }
        let meanIntra = intraPairs == 0 ? 0 : intra / Double(intraPairs)
        let meanInter = interPairs == 0 ? 0 : inter / Double(interPairs)
        return Float(meanIntra + meanInter)
    }
}
