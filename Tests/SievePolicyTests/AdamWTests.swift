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
}
