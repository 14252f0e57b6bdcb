import Foundation
import XCTest
@testable import SieveData

final class DeterministicMathTests: XCTestCase {
    func testLogMatchesTheSystemLogClosely() {
        var generator = Xoshiro256StarStar(seed: 77)
        for _ in 0..<10_000 {
            let x = generator.nextUnit() * 1000 + 1e-300
            let ours = DeterministicMath.log(x), system = Foundation.log(x)
            XCTAssertEqual(ours, system, accuracy: 4 * abs(system).ulp + 1e-300, "x = \(x)")
        }
        XCTAssertEqual(DeterministicMath.log(1), 0)
        XCTAssertEqual(DeterministicMath.log(.leastNonzeroMagnitude), Foundation.log(.leastNonzeroMagnitude), accuracy: 1e-12)
        XCTAssertEqual(DeterministicMath.log(.greatestFiniteMagnitude), Foundation.log(.greatestFiniteMagnitude), accuracy: 1e-12)
    }

    func testNormalSamplerHasUnitMomentsAndIsReproducible() {
        var a = NormalSampler(Xoshiro256StarStar(seed: 3))
        var b = NormalSampler(Xoshiro256StarStar(seed: 3))
        let values = (0..<100_000).map { _ in a.next() }
        XCTAssertEqual(values.prefix(100).map { $0 }, (0..<100).map { _ in b.next() })
        let mean = values.reduce(0, +) / Double(values.count)
        let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count)
        XCTAssertEqual(mean, 0, accuracy: 0.02)
        XCTAssertEqual(variance, 1, accuracy: 0.02)
    }

    func testIndependentStreamsDiffer() {
        var a = Xoshiro256StarStar(seed: 1, stream: 2, index: 3)
        var b = Xoshiro256StarStar(seed: 1, stream: 2, index: 4)
        var c = Xoshiro256StarStar(seed: 1, stream: 3, index: 3)
        let x = a.next(), y = b.next(), z = c.next()
        XCTAssertNotEqual(x, y)
        XCTAssertNotEqual(x, z)
        var bounded = Xoshiro256StarStar(seed: 9)
        XCTAssertTrue((0..<1000).allSatisfy { _ in (0..<7).contains(bounded.nextInt(below: 7)) })
    }
}
