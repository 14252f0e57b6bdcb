import XCTest
@testable import SievePolicy

final class AngleSignalTests: XCTestCase {
    private func angle(_ rows: [[Float]], prefix: Int) -> Float {
        let flat = rows.flatMap { $0 }
        return flat.withUnsafeBufferPointer {
            AngleSignal.angle(hidden: $0.baseAddress!, length: rows.count, width: rows[0].count, prefixLength: prefix)
        }
    }

    func testIdenticalDirectionsGiveTwo() {
        XCTAssertEqual(angle([[1, 2], [2, 4], [0.5, 1], [3, 6]], prefix: 2), 2, accuracy: 1e-6)
    }

    func testIntraAndInterTermsFollowTheFormula() {
        // prefix: e1; question: e1, e2, (e1+e2)/√2
        let s = Float(1 / 2.0.squareRoot())
        let rows: [[Float]] = [[1, 0], [1, 0], [0, 1], [s, s]]
        // intra pairs: (e1,e2)=0, (e1,d)=s, (e2,d)=s → 2s/3; inter: (e1,e1)=1, (e2,e1)=0, (d,e1)=s → (1+s)/3
        XCTAssertEqual(angle(rows, prefix: 1), (2 * s) / 3 + (1 + s) / 3, accuracy: 1e-6)
    }

    func testEmptyPairSetsContributeZero() {
        XCTAssertEqual(angle([[1, 0], [0, 1]], prefix: 0), 0, accuracy: 1e-6, "no prefix: intra only, one orthogonal pair")
        XCTAssertEqual(angle([[1, 0], [1, 1]], prefix: 1), Float(1 / 2.0.squareRoot()), accuracy: 1e-6, "one question token: inter only")
    }
}
