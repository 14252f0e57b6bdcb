/// Token plus learned position embedding: the first layer of the transformer.
///
/// Shapes: tokens [B, T], token table [V, C], position table [context, C], out [B, T, C].
enum EmbeddingLayer {
    /// out[b, t, :] = tokenTable[tokens[b, t], :] + positionTable[t, :] for t in `positions`
    /// (all of 0..<length when nil).
    static func forward(out: UnsafeMutablePointer<Float>, tokens: UnsafePointer<Int32>,
                        tokenTable: UnsafePointer<Float>, positionTable: UnsafePointer<Float>,
                        batch: Int, length: Int, positions: Range<Int>? = nil, width: Int) {
        for b in 0..<batch {
            for t in positions ?? 0..<length {
                let row = out + (b * length + t) * width
                let tokenRow = tokenTable + Int(tokens[b * length + t]) * width
                let positionRow = positionTable + t * width
                for c in 0..<width { row[c] = tokenRow[c] + positionRow[c] }
            }
        }
    }

    /// Adds the gradients of both tables given dout [B, T, C]; a token that appears twice gets
    /// both rows' gradients.
    static func backward(tokenTableGradient: UnsafeMutablePointer<Float>,
                         positionTableGradient: UnsafeMutablePointer<Float>,
                         outGradient: UnsafePointer<Float>, tokens: UnsafePointer<Int32>,
                         batch: Int, length: Int, width: Int) {
        for b in 0..<batch {
            for t in 0..<length {
                let row = outGradient + (b * length + t) * width
                let tokenRow = tokenTableGradient + Int(tokens[b * length + t]) * width
                let positionRow = positionTableGradient + t * width
                for c in 0..<width {
                    tokenRow[c] += row[c]
                    positionRow[c] += row[c]
                }
            }
        }
    }
}
