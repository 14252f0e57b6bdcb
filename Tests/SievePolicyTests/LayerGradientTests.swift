import Foundation
import XCTest
@testable import SievePolicy

/// Every layer's backward pass against central finite differences of a random linear read-out
/// J = Σ r · out (so dout = r), with fixed seeds.
final class LayerGradientTests: XCTestCase {
    func testEmbeddingBackwardMatchesFiniteDifferences() {
        let (batch, length, width, vocabulary) = (2, 5, 6, 7)
        var tokenTable = GradientCheck.randomValues(vocabulary * width, seed: 1)
        var positionTable = GradientCheck.randomValues(length * width, seed: 2)
        let tokens: [Int32] = [3, 1, 3, 6, 0, 2, 2, 5, 3, 1]  // repeats: a row's gradient adds up
        let r = GradientCheck.randomValues(batch * length * width, seed: 3)
        func objective(_ tokenTable: [Float], _ positionTable: [Float]) -> Double {
            var out = [Float](repeating: 0, count: batch * length * width)
            EmbeddingLayer.forward(out: &out, tokens: tokens, tokenTable: tokenTable, positionTable: positionTable,
                                   batch: batch, length: length, width: width)
            return GradientCheck.readOut(out, r)
        }
        var dToken = [Float](repeating: 0, count: tokenTable.count), dPosition = [Float](repeating: 0, count: positionTable.count)
        EmbeddingLayer.backward(tokenTableGradient: &dToken, positionTableGradient: &dPosition, outGradient: r,
                                tokens: tokens, batch: batch, length: length, width: width)
        let token = GradientCheck.compare(&tokenTable, indices: Array(tokenTable.indices), analytic: dToken) {
            objective($0, positionTable)
        }
        let position = GradientCheck.compare(&positionTable, indices: Array(positionTable.indices), analytic: dPosition) {
            objective(tokenTable, $0)
        }
        GradientCheck.assertClose(token, "token table")
        GradientCheck.assertClose(position, "position table")
        XCTAssertTrue(dToken[4 * width..<5 * width].allSatisfy { $0 == 0 }, "an unused token gets no gradient")
    }

    func testLayerNormBackwardMatchesFiniteDifferences() {
        let (rows, width) = (6, 16)
        var input = GradientCheck.randomValues(rows * width, seed: 11, mean: 0.3, spread: 1.5)
        var weight = GradientCheck.randomValues(width, seed: 12, mean: 1, spread: 0.3)
        var bias = GradientCheck.randomValues(width, seed: 13, spread: 0.3)
        let r = GradientCheck.randomValues(rows * width, seed: 14)
        func objective(_ input: [Float], _ weight: [Float], _ bias: [Float]) -> Double {
            var out = [Float](repeating: 0, count: rows * width)
            var mean = [Float](repeating: 0, count: rows), rstd = [Float](repeating: 0, count: rows)
            LayerNormLayer.forward(out: &out, mean: &mean, reciprocalStd: &rstd, input: input, weight: weight, bias: bias,
                                   rows: rows, width: width)
            return GradientCheck.readOut(out, r)
        }
        var out = [Float](repeating: 0, count: rows * width)
        var mean = [Float](repeating: 0, count: rows), rstd = [Float](repeating: 0, count: rows)
        LayerNormLayer.forward(out: &out, mean: &mean, reciprocalStd: &rstd, input: input, weight: weight, bias: bias,
                               rows: rows, width: width)
        var dInput = [Float](repeating: 0, count: input.count)
        var dWeight = [Float](repeating: 0, count: width), dBias = [Float](repeating: 0, count: width)
        LayerNormLayer.backward(inputGradient: &dInput, weightGradient: &dWeight, biasGradient: &dBias, outGradient: r,
                                input: input, weight: weight, mean: mean, reciprocalStd: rstd, rows: rows, width: width)
        let step: Float = 1e-3
        GradientCheck.assertClose(GradientCheck.compare(&input, indices: Array(input.indices), analytic: dInput, step: step) {
            objective($0, weight, bias)
        }, "layernorm input")
        GradientCheck.assertClose(GradientCheck.compare(&weight, indices: Array(weight.indices), analytic: dWeight, step: step) {
            objective(input, $0, bias)
        }, "layernorm weight")
        GradientCheck.assertClose(GradientCheck.compare(&bias, indices: Array(bias.indices), analytic: dBias, step: step) {
            objective(input, weight, $0)
        }, "layernorm bias")
    }

    func testLinearBackwardMatchesFiniteDifferences() {
        let (rows, inputs, outputs) = (5, 7, 9)
        var input = GradientCheck.randomValues(rows * inputs, seed: 21)
        var weight = GradientCheck.randomValues(outputs * inputs, seed: 22, spread: 0.5)
        var bias = GradientCheck.randomValues(outputs, seed: 23)
        let r = GradientCheck.randomValues(rows * outputs, seed: 24)
        func objective(_ input: [Float], _ weight: [Float], _ bias: [Float]) -> Double {
            var out = [Float](repeating: 0, count: rows * outputs)
            LinearLayer.forward(out: &out, input: input, weight: weight, bias: bias, rows: rows, inputs: inputs, outputs: outputs)
            return GradientCheck.readOut(out, r)
        }
        var dInput = [Float](repeating: 0, count: input.count), dWeight = [Float](repeating: 0, count: weight.count)
        var dBias = [Float](repeating: 0, count: outputs)
        LinearLayer.backward(inputGradient: &dInput, weightGradient: &dWeight, biasGradient: &dBias, outGradient: r,
                             input: input, weight: weight, rows: rows, inputs: inputs, outputs: outputs)
        GradientCheck.assertClose(GradientCheck.compare(&input, indices: Array(input.indices), analytic: dInput) {
            objective($0, weight, bias)
        }, "linear input")
        GradientCheck.assertClose(GradientCheck.compare(&weight, indices: Array(weight.indices), analytic: dWeight) {
            objective(input, $0, bias)
        }, "linear weight")
        GradientCheck.assertClose(GradientCheck.compare(&bias, indices: Array(bias.indices), analytic: dBias) {
            objective(input, weight, $0)
        }, "linear bias")
    }

    func testAttentionBackwardMatchesFiniteDifferences() {
        let (batch, length, width, heads) = (2, 5, 8, 2)
        var qkv = GradientCheck.randomValues(batch * length * 3 * width, seed: 31)
        let r = GradientCheck.randomValues(batch * length * width, seed: 32)
        var attention = [Float](repeating: 0, count: batch * heads * length * length)
        func objective(_ qkv: [Float]) -> Double {
            var out = [Float](repeating: 0, count: batch * length * width)
            AttentionLayer.forward(out: &out, attention: &attention, qkv: qkv, batch: batch, length: length, width: width, heads: heads)
            return GradientCheck.readOut(out, r)
        }
        _ = objective(qkv)
        var dQKV = [Float](repeating: 0, count: qkv.count), scratch = [Float](repeating: 0, count: length)
        AttentionLayer.backward(qkvGradient: &dQKV, outGradient: r, qkv: qkv, attention: attention, scratch: &scratch,
                                batch: batch, length: length, width: width, heads: heads)
        GradientCheck.assertClose(GradientCheck.compare(&qkv, indices: Array(qkv.indices), analytic: dQKV, step: 1e-3) {
            objective($0)
        }, "attention qkv")
    }

    func testAttentionIsCausal() {
        let (batch, length, width, heads) = (1, 6, 8, 2)
        let qkv = GradientCheck.randomValues(length * 3 * width, seed: 41)
        var out = [Float](repeating: 0, count: length * width), attention = [Float](repeating: 0, count: heads * length * length)
        AttentionLayer.forward(out: &out, attention: &attention, qkv: qkv, batch: batch, length: length, width: width, heads: heads)
        // Only position 2's output carries gradient: nothing after position 2 may receive any.
        var r = [Float](repeating: 0, count: length * width)
        for c in 0..<width { r[2 * width + c] = 1 }
        var dQKV = [Float](repeating: 0, count: qkv.count), scratch = [Float](repeating: 0, count: length)
        AttentionLayer.backward(qkvGradient: &dQKV, outGradient: r, qkv: qkv, attention: attention, scratch: &scratch,
                                batch: batch, length: length, width: width, heads: heads)
        XCTAssertTrue(dQKV[(3 * 3 * width)...].allSatisfy { $0 == 0 }, "future positions must get no gradient")
        XCTAssertTrue(dQKV[0..<(3 * 3 * width)].contains { $0 != 0 })
        for h in 0..<heads {
            for t in 0..<length {
                let row = attention[((h * length) + t) * length..<((h * length) + t + 1) * length]
                XCTAssertEqual(Double(row.reduce(0, +)), 1, accuracy: 1e-5)
                XCTAssertTrue(row.dropFirst(t + 1).allSatisfy { $0 == 0 }, "row \(t) attends only to positions ≤ \(t)")
            }
        }
    }

    func testGELUBackwardMatchesFiniteDifferences() {
        var input = GradientCheck.randomValues(64, seed: 51, spread: 2)
        let r = GradientCheck.randomValues(64, seed: 52)
        func objective(_ input: [Float]) -> Double {
            var out = [Float](repeating: 0, count: input.count)
            GELULayer.forward(out: &out, input: input, count: input.count)
            return GradientCheck.readOut(out, r)
        }
        var dInput = [Float](repeating: 0, count: input.count)
        GELULayer.backward(inputGradient: &dInput, outGradient: r, input: input, count: input.count)
        GradientCheck.assertClose(GradientCheck.compare(&input, indices: Array(input.indices), analytic: dInput, step: 1e-3) {
            objective($0)
        }, "gelu")
    }

    func testResidualBackwardPassesTheGradientToBothInputs() {
        var a = GradientCheck.randomValues(10, seed: 61), b = GradientCheck.randomValues(10, seed: 62)
        let r = GradientCheck.randomValues(10, seed: 63)
        func objective(_ a: [Float], _ b: [Float]) -> Double {
            var out = [Float](repeating: 0, count: 10)
            ResidualLayer.forward(out: &out, a, b, count: 10)
            return GradientCheck.readOut(out, r)
        }
        var dA = [Float](repeating: 0, count: 10), dB = [Float](repeating: 0, count: 10)
        ResidualLayer.backward(aGradient: &dA, bGradient: &dB, outGradient: r, count: 10)
        GradientCheck.assertClose(GradientCheck.compare(&a, indices: Array(a.indices), analytic: dA) { objective($0, b) }, "residual a")
        GradientCheck.assertClose(GradientCheck.compare(&b, indices: Array(b.indices), analytic: dB) { objective(a, $0) }, "residual b")
    }

    func testLogLikelihoodBackwardMatchesFiniteDifferences() {
        let (rows, vocabulary) = (6, 18)
        var logits = GradientCheck.randomValues(rows * vocabulary, seed: 71, spread: 2)
        let targets: [Int32] = [0, 17, 5, 5, 9, 16]
        let weights: [Float] = [0.5, -1.25, 0, 2, 0.125, -0.5]  // GRPO weights have either sign; 0 is a prompt position
        func objective(_ logits: [Float]) -> Double {
            LogLikelihoodLayer.objective(logits: logits, targets: targets, weights: weights, rows: rows, vocabulary: vocabulary)
        }
        var probabilities = [Float](repeating: 0, count: logits.count), dLogits = [Float](repeating: 0, count: logits.count)
        LogLikelihoodLayer.forward(probabilities: &probabilities, logits: logits, rows: rows, vocabulary: vocabulary)
        LogLikelihoodLayer.backward(logitsGradient: &dLogits, probabilities: probabilities, targets: targets, weights: weights,
                                    rows: rows, vocabulary: vocabulary)
        GradientCheck.assertClose(GradientCheck.compare(&logits, indices: Array(logits.indices), analytic: dLogits, step: 1e-3) {
            objective($0)
        }, "log-likelihood logits")
        XCTAssertTrue(dLogits[2 * vocabulary..<3 * vocabulary].allSatisfy { $0 == 0 }, "weight 0 rows get no gradient")
        for n in 0..<rows {
            XCTAssertEqual(Double(probabilities[n * vocabulary..<(n + 1) * vocabulary].reduce(0, +)), 1, accuracy: 1e-5)
        }
    }
}

final class GELUMathTests: XCTestCase {
    func testExpAndTanhMatchTheSystemFunctions() {
        for i in -4000...4000 {
            let x = Float(i) / 100
            let e = GELULayer.exp(x), t = GELULayer.tanh(x)
            if abs(x) < 80 { XCTAssertEqual(e, Foundation.exp(x), accuracy: 3e-7 * Foundation.exp(x), "exp(\(x))") }
            XCTAssertEqual(t, Foundation.tanh(x), accuracy: 2e-7, "tanh(\(x))")
        }
        XCTAssertEqual(GELULayer.exp(-200), Foundation.exp(-87), accuracy: Foundation.exp(-87) / 100, "clamped below")
    }

    func testGELUMatchesTheFormula() {
        for count in 1...19 {
            let x = GradientCheck.randomValues(count, seed: UInt64(count), spread: 3)
            var y = [Float](repeating: 0, count: count)
            GELULayer.forward(out: &y, input: x, count: count)
            for (xi, yi) in zip(x, y) {
                let expected = 0.5 * Double(xi) * (1 + Foundation.tanh(0.7978845608 * (Double(xi) + 0.044715 * pow(Double(xi), 3))))
                XCTAssertEqual(Double(yi), expected, accuracy: 1e-6 * max(1, abs(expected)))
            }
        }
    }
}
