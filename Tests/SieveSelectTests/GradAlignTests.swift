import SieveSelect
import XCTest

final class GradAlignTests: XCTestCase {
    func testScoreIsTheCosineWithTheValidationGradient() {
        // grad = (3, 4), g_val = (0, 2): dot 8, |grad| 5, |g_val| 2, cosine 0.8.
        let scored = GradAlign.score(dot: 8, squaredNorm: 25, referenceNorm: 2, success: 0.5)
        XCTAssertEqual(scored.cosine, 0.8, accuracy: 1e-15)
        XCTAssertEqual(scored.score, scored.cosine)
        XCTAssertEqual(scored.gradNorm, 5)
        XCTAssertEqual(GradAlign.score(dot: -8, squaredNorm: 25, referenceNorm: 2, success: nil).score, -0.8, accuracy: 1e-15)
    }

    func testZeroGradientScoresZero() {
        let scored = GradAlign.score(dot: 0, squaredNorm: 0, referenceNorm: 3, success: 0.5)
        XCTAssertEqual([scored.score, scored.cosine, scored.gradNorm], [0, 0, 0])
    }

    func testSuccessZeroOrOneScoresZeroButStillReportsTheCosine() {
        for success: Float in [0, 1] {
            let scored = GradAlign.score(dot: 8, squaredNorm: 25, referenceNorm: 2, success: success)
            XCTAssertEqual(scored.score, 0, "p = \(success)")
            XCTAssertEqual(scored.cosine, 0.8, accuracy: 1e-15)
            XCTAssertEqual(scored.gradNorm, 5)
        }
    }
}
