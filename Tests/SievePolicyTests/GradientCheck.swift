import XCTest
@testable import SievePolicy

/// Central finite differences against an analytic gradient, for Float32 code.
///
/// Each checked coordinate is moved by ±step and the derivative is the objective's change over
/// the change actually made to the Float (x ± step rounds). The comparison is by the relative
/// error of the whole checked vector, ‖analytic − numeric‖ / max(‖analytic‖, ‖numeric‖), which
/// Float32 rounding cannot push past a few 1e-3 when the gradient is right, while a wrong
/// gradient (a missing term, a wrong sign, a wrong index) gives errors of order 1.
enum GradientCheck {
    struct Result {
        var relativeError: Double
        var analyticNorm: Double
        var checked: Int
    }

    static func compare(_ values: inout [Float], indices: [Int], analytic: [Float], step: Float = 1e-2,
                        objective: ([Float]) -> Double) -> Result {
        var difference = 0.0, analyticSquares = 0.0, numericSquares = 0.0
        for k in indices {
            let original = values[k]
            let plus = original + step, minus = original - step
            values[k] = plus
            let high = objective(values)
            values[k] = minus
            let low = objective(values)
            values[k] = original
            let numeric = (high - low) / (Double(plus) - Double(minus))
            let a = Double(analytic[k])
            difference += (a - numeric) * (a - numeric)
            analyticSquares += a * a
            numericSquares += numeric * numeric
        }
        let scale = max(analyticSquares.squareRoot(), numericSquares.squareRoot(), 1e-30)
        return Result(relativeError: difference.squareRoot() / scale, analyticNorm: analyticSquares.squareRoot(),
                      checked: indices.count)
    }

    /// Asserts a relative error below `tolerance` and a gradient that is not trivially zero.
    static func assertClose(_ result: Result, tolerance: Double = 1e-2, _ name: String,
                            file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertGreaterThan(result.analyticNorm, 1e-4, "\(name): gradient is (nearly) zero, the check would be vacuous", file: file, line: line)
        XCTAssertLessThan(result.relativeError, tolerance, "\(name): relative error \(result.relativeError) over \(result.checked) coordinates", file: file, line: line)
    }

    /// `count` random floats: normal with the given mean and spread, from a fixed stream.
    static func randomValues(_ count: Int, seed: UInt64, mean: Double = 0, spread: Double = 1) -> [Float] {
        var draws = RandomStream(seed, 0xF1D)
        return (0..<count).map { _ in Float(mean + spread * draws.nextNormal()) }
    }

    /// Σ r_i · out_i in Float64: a random linear read-out, so dJ/dout = r.
    static func readOut(_ out: [Float], _ r: [Float]) -> Double {
        zip(out, r).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
    }
}
