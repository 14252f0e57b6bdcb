import XCTest
@testable import SievePolicy

final class AdamWTests: XCTestCase {
    func testStepDescendsAQuadratic() {
        let target: [Float] = [1, -2, 3, 0.5]
        var x = [Float](repeating: 0, count: 4)
        var optimizer = AdamW(parameterCount: 4, learningRate: 0.05)
        for _ in 0..<500 {
            optimizer.step(parameters: &x, gradient: zip(x, target).map { 2 * ($0 - $1) })
        }
        for (value, goal) in zip(x, target) { XCTAssertEqual(value, goal, accuracy: 1e-2) }
        XCTAssertEqual(optimizer.stepCount, 500)
    }

    func testAscendIsStepOnTheNegatedDirection() {
        let direction: [Float] = [0.3, -1, 2, 0]
        var a: [Float] = [1, 1, 1, 1], b = a
        var first = AdamW(parameterCount: 4, learningRate: 0.1, weightDecay: 0.01), second = first
        for _ in 0..<3 {
            first.ascend(parameters: &a, direction: direction)
            second.step(parameters: &b, gradient: direction.map { -$0 })
        }
        XCTAssertEqual(a, b)
        XCTAssertGreaterThan(a[2], 1, "ascent moves along the direction")
        XCTAssertLessThan(a[1], 1)
    }

    func testWeightDecayShrinksParametersWithoutGradient() {
        var x: [Float] = [2, -2]
        var optimizer = AdamW(parameterCount: 2, learningRate: 0.1, weightDecay: 0.5)
        optimizer.step(parameters: &x, gradient: [0, 0])
        XCTAssertEqual(x[0], 2 * (1 - 0.05), accuracy: 1e-6)
        XCTAssertEqual(x[1], -2 * (1 - 0.05), accuracy: 1e-6)
    }

    func testStepScaleIsTheBiasCorrectedRootSecondMoment() {
        var x: [Float] = [0, 0, 0]
        var optimizer = AdamW(parameterCount: 3, learningRate: 0.1, epsilon: 1e-3)
        XCTAssertNil(optimizer.stepScale, "no second moment before the first step")
        optimizer.step(parameters: &x, gradient: [3, -4, 0])
        // after one step v_hat = g^2 exactly (bias correction), so the scale is |g| + eps
        let first = optimizer.stepScale!
        for (value, expected) in zip(first, [Float(3.001), 4.001, 0.001]) { XCTAssertEqual(value, expected, accuracy: 1e-5) }
        optimizer.step(parameters: &x, gradient: [1, 0, 2])
        // v = b2(1-b2)g1^2 + (1-b2)g2^2, corrected by 1 - b2^2
        let b2: Float = 0.999, correction = 1 - b2 * b2
        let expected = zip([Float(3), -4, 0], [Float(1), 0, 2]).map { g1, g2 -> Float in
            ((b2 * (1 - b2) * g1 * g1 + (1 - b2) * g2 * g2) / correction).squareRoot() + 1e-3
        }
        for (value, goal) in zip(optimizer.stepScale!, expected) { XCTAssertEqual(value, goal, accuracy: 1e-4) }
    }
}
