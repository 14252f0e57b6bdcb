import XCTest
import SieveKernels

/// Pins the arithmetic rule of the row kernels as docs/methods.md ("Reproducing scores.jsonl bit
/// for bit") states it, so that an implementation in another language, following the text alone,
/// computes the same bits: element j in lane j mod 32 of 32 Float32 lanes, the partial last block
/// included; each product rounded to Float32, then added in Float32 (never fused); the lanes
/// widened to Float64 and added in the documented tree.
///
/// The expected values come from `model` below, a plain implementation of that rule written
/// from the docs. The row is built so that every other plausible reading of the rule gives other
/// bits, and the test checks that too: 16 or 64 lanes, the lanes added one after another, a fused
/// multiply-add, the tail left out, and a plain Float64 dot product all differ from the kernel.
final class KernelArithmeticRuleTests: XCTestCase {
    enum LaneSum { case tree, inOrder }

    /// The documented rule, with the alternatives the test rules out as parameters.
    static func model(_ x: [Float], _ g: [Float], lanes: Int = 32, fused: Bool = false, sum: LaneSum = .tree,
                      count: Int? = nil) -> Double {
        var lane = [Float](repeating: 0, count: lanes)
        for j in 0..<(count ?? x.count) {
            if fused {
                lane[j % lanes].addProduct(x[j], g[j])
            } else {
                let product = x[j] * g[j]
                lane[j % lanes] = lane[j % lanes] + product
            }
        }
        let wide = lane.map(Double.init)
        switch sum {
        case .inOrder:
            var total = 0.0
            for value in wide { total += value }
            return total
        case .tree:
            precondition(lanes == 32, "the tree is defined for 32 lanes")
            var s = [Double](repeating: 0, count: 8), t = [Double](repeating: 0, count: 4)
            for i in 0..<8 { s[i] = (wide[i] + wide[i + 8]) + (wide[i + 16] + wide[i + 24]) }
            for i in 0..<4 { t[i] = s[i] + s[i + 4] }
            return (t[0] + t[2]) + (t[1] + t[3])
        }
    }

    /// d = 70: two full blocks of 32 and a tail of 6. Each planted pair of elements catches one
    /// misreading (see the comments); everything else is a small value that changes nothing.
    static let dimension = 70
    static var row: (x: [Float], g: [Float]) {
        var x = [Float](repeating: 0, count: dimension), g = [Float](repeating: 1, count: dimension)
        // The lane tree: lanes 0 and 8 cancel inside s[0] before lane 1's 1 is added; added one
        // after another, 2^60 + 1 loses the 1 in Float64 and the total is 0.
        x[0] = 0x1p60; x[1] = 1; x[8] = -0x1p60
        // 32 lanes, not 16: element 18 has a lane of its own (18 mod 32), so 2^-30 survives in
        // Float64; with 16 lanes it would share lane 2 with element 2 and vanish in Float32.
        x[2] = 1; x[18] = 0x1p-30
        // 32 lanes, not 64, and Float32 lanes: element 35 shares lane 3 with element 3, where
        // 1 + 2^-30 rounds to 1; with 64 lanes (or a Float64 sum) the 2^-30 would survive.
        x[3] = 1; x[35] = 0x1p-30
        // No fused multiply-add: element 39's product (1 + 2^-12)^2 = 1 + 2^-11 + 2^-24 rounds
        // to 1 + 2^-11 in Float32 and cancels lane 7 exactly; fused, 2^-24 would remain.
        x[7] = -(1 + 0x1p-11); x[39] = 1 + 0x1p-12; g[39] = 1 + 0x1p-12
        // The tail counts: elements 64..69 add 3, 5, ... in lanes 0..5.
        for j in 64..<70 { x[j] = Float(2 * (j - 64) + 3) }
        // Some ordinary values, with a reference that is not all ones.
        for j in [10, 20, 30, 45, 50, 60] { x[j] = Float(j) / 7; g[j] = Float(j) / 3 }
        return (x, g)
    }

    private func kernel(_ x: [Float], _ g: [Float]) -> (dot: Double, squaredNorm: Double) {
        let encoded = EncodedRow(x, as: .float32)
        return encoded.withRow(atByteOffset: 0) { pointer in
            g.withUnsafeBufferPointer { RowKernels.dotAndSquaredNorm(row: pointer, type: .float32, reference: $0) }
        }
    }

    private func onEveryPath(_ body: (String) throws -> Void) rethrows {
        let original = RowKernels.path
        defer { RowKernels.usePath(original) }
        for path in ["portable", "avx2"] where RowKernels.usePath(path) == path {
            try body(path)
        }
    }

    func testTheKernelFollowsTheDocumentedRule() {
        let (x, g) = Self.row
        let expected = Self.model(x, g)
        onEveryPath { path in
            let result = kernel(x, g)
            XCTAssertEqual(result.dot.bitPattern, expected.bitPattern, "\(path): dot \(result.dot), rule \(expected)")
            XCTAssertEqual(result.squaredNorm.bitPattern, Self.model(x, x).bitPattern, "\(path): squared norm")
        }
    }

    func testTheRowTellsEveryOtherReadingApart() {
        let (x, g) = Self.row
        let rule = Self.model(x, g)
        var naive = 0.0
        for j in x.indices { naive += Double(x[j]) * Double(g[j]) }
        let others: [(String, Double)] = [
            ("16 lanes", Self.model(x, g, lanes: 16, sum: .inOrder)),
            ("64 lanes", Self.model(x, g, lanes: 64, sum: .inOrder)),
            ("32 lanes added in order", Self.model(x, g, sum: .inOrder)),
            ("fused multiply-add", Self.model(x, g, fused: true)),
            ("the tail left out", Self.model(x, g, count: 64)),
            ("a plain Float64 dot product", naive),
        ]
        for (name, value) in others {
            XCTAssertNotEqual(value.bitPattern, rule.bitPattern, "\(name) gives the rule's bits (\(rule)): the row does not test it")
        }
        let kernelDot = kernel(x, g).dot
        for (name, value) in others {
            XCTAssertNotEqual(value.bitPattern, kernelDot.bitPattern, "the kernel computes \(name)")
        }
    }

    /// The 16-bit element types widen exactly to Float32 before the same rule; a row stored as
    /// F16 or BF16 gives the rule's value over its decoded elements.
    func testHalfWidthRowsFollowTheSameRule() {
        var x = [Float](repeating: 0, count: 45), g = [Float](repeating: 0, count: 45)
        for j in 0..<45 {
            x[j] = Float(j % 7) * 0.3 - 0.8 + (j % 2 == 0 ? 0x1p-9 : 0)
            g[j] = Float(j % 5) * 1.7 - 2.1
        }
        for type in [ElementType.float16, .bfloat16] {
            let encoded = EncodedRow(x, as: type)
            let decoded = encoded.values.map { Float($0) }
            let expected = Self.model(decoded, g)
            onEveryPath { path in
                let result = encoded.withRow(atByteOffset: 1) { pointer in
                    g.withUnsafeBufferPointer { RowKernels.dotAndSquaredNorm(row: pointer, type: type, reference: $0) }
                }
                XCTAssertEqual(result.dot.bitPattern, expected.bitPattern, "\(type) on \(path)")
                XCTAssertEqual(result.squaredNorm.bitPattern, Self.model(decoded, decoded).bitPattern, "\(type) on \(path)")
            }
        }
    }
}
