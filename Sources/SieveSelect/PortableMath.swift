/// log, exp and tanh from + − × ÷ and sqrt only, which IEEE 754 rounds the same way everywhere.
///
/// The platform's libm may differ in the last bit between machines or library versions, and a
/// last bit is enough to reorder two sampling keys; GAIN-RL's curricula must come out the same
/// on every machine, so its sampling keys and its tanh use these. About one unit in the last
/// place of accuracy, which is all the methods need.
enum PortableMath {
    private static let ln2 = 0.693_147_180_559_945_3
    /// ln 2 split so that k * ln2High is exact for |k| < 2^11 (its low 21 bits are zero).
    private static let ln2High = 0.693_147_180_369_123_8
    private static let ln2Low = 1.908_214_929_270_587_7e-10

    /// Natural logarithm of a positive finite x: x = m 2^e with m in [sqrt(1/2), sqrt(2)), and
    /// log m = 2 atanh(s) = 2 (s + s^3/3 + s^5/5 + ...) with s = (m - 1)/(m + 1), |s| < 0.172.
    static func log(_ x: Double) -> Double {
        precondition(x > 0 && x.isFinite, "log of \(x)")
        var m = x.significand  // in [1, 2)
        var e = Double(x.exponent)
        if m * m > 2 {
            m *= 0.5
            e += 1
        }
        let s = (m - 1) / (m + 1)
        let s2 = s * s
        var series = 0.0
        for odd in stride(from: 23.0, through: 3.0, by: -2.0) {
            series = (series + 1 / odd) * s2
        }
        return e * ln2 + 2 * s * (1 + series)
    }

    /// e^x for |x| <= 700: x = k ln2 + r with |r| <= ln2/2, e^r by its Taylor series to r^16/16!.
    static func exp(_ x: Double) -> Double {
        precondition(abs(x) <= 700, "exp of \(x)")
        let k = (x / ln2).rounded()
        let r = (x - k * ln2High) - k * ln2Low
        var term = 1.0, sum = 1.0
        for n in 1...16 {
            term = term * r / Double(n)
            sum += term
        }
        return sum * Double(sign: .plus, exponent: Int(k), significand: 1)
    }

    /// e^y - 1 for |y| <= 1 without the cancellation of exp(y) - 1: y (1 + y/2 (1 + y/3 (...))).
    static func expm1(_ y: Double) -> Double {
        precondition(abs(y) <= 1, "expm1 of \(y)")
        var inner = 1.0
        for n in stride(from: 20, through: 2, by: -1) {
            inner = 1 + y / Double(n) * inner
        }
        return y * inner
    }

    /// tanh x = (1 - t)/(1 + t) with t = e^(-2|x|), or e/(e + 2) with e = expm1(2|x|) when
    /// |x| < 1/2 (where 1 - t would cancel); ±1 beyond |x| = 20, where tanh rounds to ±1.
    static func tanh(_ x: Double) -> Double {
        precondition(!x.isNaN, "tanh of NaN")
        let a = abs(x)
        let magnitude: Double
        if a > 20 {
            magnitude = 1
        } else if a < 0.5 {
            let e = expm1(2 * a)
            magnitude = e / (e + 2)
        } else {
            let t = exp(-2 * a)
            magnitude = (1 - t) / (1 + t)
        }
        return x < 0 ? -magnitude : magnitude
    }
}
