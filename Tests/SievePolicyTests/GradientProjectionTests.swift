import XCTest
@testable import SievePolicy

final class GradientProjectionTests: XCTestCase {
    private func cosine(_ a: [Float], _ b: [Float]) -> Double {
        var dot = 0.0, na = 0.0, nb = 0.0
        for (x, y) in zip(a, b) {
            dot += Double(x) * Double(y); na += Double(x) * Double(x); nb += Double(y) * Double(y)
        }
        return dot / (na * nb).squareRoot()
    }

    /// y = c·x + √(1 − c²)·z with x, z independent Gaussians: cos(x, y) ≈ c.
    private func pair(cosine c: Double, dimension: Int, seed: UInt64) -> ([Float], [Float]) {
        let x = GradientCheck.randomValues(dimension, seed: seed), z = GradientCheck.randomValues(dimension, seed: seed + 1000)
        let s = (1 - c * c).squareRoot()
        return (x, zip(x, z).map { Float(c * Double($0) + s * Double($1)) })
    }

    func testProjectionPreservesCosinesRoughly() {
        let dimension = TransformerConfig.default.parameterCount
        let projection = GradientProjection(seed: 11, inputDimension: dimension, outputDimension: 256)
        for (k, c) in [-0.6, 0.0, 0.3, 0.8, 0.95].enumerated() {
            let (x, y) = pair(cosine: c, dimension: dimension, seed: UInt64(k))
            let original = cosine(x, y), projected = cosine(projection.project(x), projection.project(y))
            // The error's standard deviation is about (1 − c²)/√256 ≤ 0.0625; 0.2 is over three of them.
            XCTAssertEqual(projected, original, accuracy: 0.2, "cosine \(c)")
        }
    }

    func testInnerProductsArePreservedInExpectation() {
        let dimension = 5000
        let (x, y) = pair(cosine: 0.5, dimension: dimension, seed: 3)
        let exact = zip(x, y).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        var mean = 0.0
        let seeds = 200
        for seed in 0..<seeds {
            let projection = GradientProjection(seed: UInt64(seed), inputDimension: dimension, outputDimension: 32)
            mean += zip(projection.project(x), projection.project(y)).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        }
        mean /= Double(seeds)
        // One draw has a standard deviation of about ‖x‖‖y‖·√(1.25/32) ≈ 0.2·5000; the mean of 200, 0.014·5000.
        XCTAssertEqual(mean / exact, 1, accuracy: 0.2)
    }

    func testProjectionIsDeterministicLinearAndDependsOnTheSeed() {
        let x = GradientCheck.randomValues(3000, seed: 1), y = GradientCheck.randomValues(3000, seed: 2)
        let a = GradientProjection(seed: 5, inputDimension: 3000, outputDimension: 64)
        let b = GradientProjection(seed: 5, inputDimension: 3000, outputDimension: 64)
        XCTAssertEqual(a.project(x), b.project(x))
        XCTAssertNotEqual(a.project(x), GradientProjection(seed: 6, inputDimension: 3000, outputDimension: 64).project(x))
        let sum = a.project(zip(x, y).map { $0 + $1 })
        for (s, (px, py)) in zip(sum, zip(a.project(x), a.project(y))) { XCTAssertEqual(s, px + py, accuracy: 1e-3) }
        let (bucket, sign) = a.bucketAndSign(of: 17)
        var unit = [Float](repeating: 0, count: 3000)
        unit[17] = 2
        let projected = a.project(unit)
        XCTAssertEqual(projected[bucket], 2 * sign)
        XCTAssertEqual(projected.filter { $0 != 0 }.count, 1, "a parameter lands in exactly one coordinate")
    }

    func testBucketsAndSignsAreBalanced() {
        let projection = GradientProjection(seed: 9, inputDimension: 64_000, outputDimension: 64)
        var counts = [Int](repeating: 0, count: 64), positive = 0
        for i in 0..<64_000 {
            let (bucket, sign) = projection.bucketAndSign(of: i)
            counts[bucket] += 1
            if sign > 0 { positive += 1 }
        }
        XCTAssertTrue(counts.allSatisfy { abs($0 - 1000) < 150 }, "\(counts)")
        XCTAssertEqual(Double(positive) / 64_000, 0.5, accuracy: 0.01)
    }
}
