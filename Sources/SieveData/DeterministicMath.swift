/// Elementary functions computed with + − × ÷ and sqrt only.
///
/// IEEE 754 makes those operations exactly reproducible, whereas `log` from
/// the platform's libm may differ in the last bit between Linux and macOS or
/// between library versions. Synthetic pools must be byte-identical for the
/// same seed on every machine, so the generator's normal deviates use this
/// `log` instead.
public enum DeterministicMath {
    private static let ln2 = 0.693_147_180_559_945_3
    private static let sqrt2 = 1.414_213_562_373_095_1

    /// The natural logarithm of a positive finite `x`, accurate to about one
    /// unit in the last place. Splits x = m · 2^e with m in [√½, √2) and sums
    /// the series log m = 2·atanh(s), s = (m − 1)/(m + 1), |s| < 0.172.
    public static func log(_ x: Double) -> Double {
        precondition(x > 0 && x.isFinite, "log needs a positive finite argument, got \(x)")
        var value = x
        var exponent = 0
        if value < 0x1p-1022 {  // subnormal: scale into the normal range
            value *= 0x1p54
            exponent -= 54
        }
        let bits = value.bitPattern
        exponent += Int((bits >> 52) & 0x7FF) - 1023
        var m = Double(bitPattern: (bits & 0x000F_FFFF_FFFF_FFFF) | 0x3FF0_0000_0000_0000)
        if m > sqrt2 {
            m *= 0.5
            exponent += 1
        }
        let s = (m - 1) / (m + 1)
        let z = s * s
        // 1 + z/3 + z²/5 + … + z¹⁰/21 by Horner's rule. The reciprocals are
        // exact-rounded constants (folded at compile time or not, the result
        // is the same IEEE quotient).
        var series = 1.0 / 21.0
        series = series * z + 1.0 / 19.0
        series = series * z + 1.0 / 17.0
        series = series * z + 1.0 / 15.0
        series = series * z + 1.0 / 13.0
        series = series * z + 1.0 / 11.0
        series = series * z + 1.0 / 9.0
        series = series * z + 1.0 / 7.0
        series = series * z + 1.0 / 5.0
        series = series * z + 1.0 / 3.0
        series = series * z + 1
        return Double(exponent) * ln2 + 2 * s * series
    }
}
