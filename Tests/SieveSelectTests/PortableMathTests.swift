import Foundation
@testable import SieveSelect
import XCTest

final class PortableMathTests: XCTestCase {
    func testLogMatchesTheSystemLogToAFewUnitsInTheLastPlace() {
        var random = TestRandom(seed: 1)
        var inputs: [Double] = [1, 2, 0.5, 1e-300, 1e300, 1 - 0x1p-52, 1 + 0x1p-52, 0x1p-52, .pi]
        for _ in 0..<2000 { inputs.append(Foundation.exp(random.unit() * 80 - 40)) }
        for x in inputs {
            let expected = Foundation.log(x)
            XCTAssertEqual(PortableMath.log(x), expected, accuracy: 4 * max(expected.ulp, Double.ulpOfOne * 1e-300), "log \(x)")
        }
    }

    func testExpAndTanhMatchTheSystemFunctions() {
        var random = TestRandom(seed: 2)
        for _ in 0..<2000 {
            let x = random.unit() * 80 - 40
            XCTAssertEqual(PortableMath.exp(x), Foundation.exp(x), accuracy: 4 * Foundation.exp(x).ulp, "exp \(x)")
            let t = random.unit() * 30 - 15
            XCTAssertEqual(PortableMath.tanh(t), Foundation.tanh(t), accuracy: 1e-15, "tanh \(t)")
        }
        for x in [0.0, 1e-20, 0.49999, 0.5, 20.5, -25] {
            XCTAssertEqual(PortableMath.tanh(x), Foundation.tanh(x), accuracy: 1e-15, "tanh \(x)")
        }
        XCTAssertEqual(PortableMath.expm1(1e-10), 1e-10 + 5e-21, accuracy: 1e-25)
    }
}
