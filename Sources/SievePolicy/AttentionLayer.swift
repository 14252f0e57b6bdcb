import Glibc

/// Causal multi-head self-attention on a packed qkv tensor (the projections before and after are
/// `LinearLayer`s).
///
/// Shapes: qkv [B, T, 3C] holding queries, keys, values side by side, each split into H heads of
/// C/H channels; attention weights [B, H, T, T] (row t uses entries 0...t, the rest stay 0 —
/// the causal mask); out [B, T, C]. Plain loops: T is at most a few dozen.
enum AttentionLayer {
    /// att[b, h, t, s] = softmax over s ≤ t of q_t · k_s / sqrt(C/H); out_t = Σ_s att · v_s,
    /// for the query positions t in `queries` (all when nil); keys and values of every earlier
    /// position are read from qkv.
    static func forward(out: UnsafeMutablePointer<Float>, attention: UnsafeMutablePointer<Float>,
                        qkv: UnsafePointer<Float>, batch: Int, length: Int, queries: Range<Int>? = nil,
                        width: Int, heads: Int) {
        let headWidth = width / heads, stride = 3 * width
        let scale = 1 / Float(headWidth).squareRoot()
        for b in 0..<batch {
            for h in 0..<heads {
                for t in queries ?? 0..<length {
                    let query = qkv + (b * length + t) * stride + h * headWidth
                    let weights = attention + ((b * heads + h) * length + t) * length
                    var largest = -Float.infinity
                    for s in 0...t {
                        let key = qkv + (b * length + s) * stride + width + h * headWidth
                        var dot: Float = 0
                        for i in 0..<headWidth { dot += query[i] * key[i] }
                        weights[s] = dot * scale
                        largest = max(largest, weights[s])
                    }
                    var total: Float = 0
                    for s in 0...t {
                        weights[s] = expf(weights[s] - largest)
                        total += weights[s]
                    }
                    let inverse = 1 / total
                    for s in 0..<length { weights[s] = s <= t ? weights[s] * inverse : 0 }
                    let row = out + (b * length + t) * width + h * headWidth
                    for i in 0..<headWidth { row[i] = 0 }
                    for s in 0...t {
                        let value = qkv + (b * length + s) * stride + 2 * width + h * headWidth
                        for i in 0..<headWidth { row[i] += weights[s] * value[i] }
                    }
                }
            }
        }
    }

    /// Adds dqkv given dout. `scratch` holds at least T floats. Through the softmax:
    /// dlogit_s = att_s · (datt_s − Σ_r att_r · datt_r).
    static func backward(qkvGradient: UnsafeMutablePointer<Float>, outGradient: UnsafePointer<Float>,
                         qkv: UnsafePointer<Float>, attention: UnsafePointer<Float>,
                         scratch: UnsafeMutablePointer<Float>, batch: Int, length: Int, width: Int, heads: Int) {
        let headWidth = width / heads, stride = 3 * width
        let scale = 1 / Float(headWidth).squareRoot()
        for b in 0..<batch {
            for h in 0..<heads {
                for t in 0..<length {
                    let weights = attention + ((b * heads + h) * length + t) * length
                    let dRow = outGradient + (b * length + t) * width + h * headWidth
                    var weighted: Float = 0
                    for s in 0...t {
                        let value = qkv + (b * length + s) * stride + 2 * width + h * headWidth
                        let dValue = qkvGradient + (b * length + s) * stride + 2 * width + h * headWidth
                        var dWeight: Float = 0
                        for i in 0..<headWidth {
                            dWeight += value[i] * dRow[i]
                            dValue[i] += weights[s] * dRow[i]
                        }
                        scratch[s] = dWeight
                        weighted += weights[s] * dWeight
                    }
                    let query = qkv + (b * length + t) * stride + h * headWidth
                    let dQuery = qkvGradient + (b * length + t) * stride + h * headWidth
                    for s in 0...t {
                        let dLogit = weights[s] * (scratch[s] - weighted) * scale
                        let key = qkv + (b * length + s) * stride + width + h * headWidth
                        let dKey = qkvGradient + (b * length + s) * stride + width + h * headWidth
                        for i in 0..<headWidth {
                            dQuery[i] += dLogit * key[i]
                            dKey[i] += dLogit * query[i]
                        }
                    }
                }
            }
        }
    }
}
