import Foundation
import XCTest
@testable import SievePolicy

/// The whole transformer's gradient against central finite differences, on a sample of
/// parameters that touches every named tensor.
final class ModelGradientTests: XCTestCase {
    func testSmallModelGradientMatchesFiniteDifferences() {
        let config = TransformerConfig(vocabulary: 18, context: 8, width: 16, layers: 2, heads: 2, mlpMultiplier: 4)
        let result = checkModel(config: config, batch: 3, length: 7, perTensor: 6, seed: 1)
        GradientCheck.assertClose(result, "small model")
    }

    func testDefaultModelGradientMatchesFiniteDifferences() {
        let result = checkModel(config: .default, batch: 2, length: 12, perTensor: 3, seed: 2)
        GradientCheck.assertClose(result, "default model")
    }

    func testGradientAddsIntoTheBufferAndDoesNotDependOnItsPreviousContents() {
        let config = TransformerConfig(vocabulary: 18, context: 8, width: 16, layers: 1, heads: 2)
        let transformer = Transformer(config: config)
        let parameters = randomParameters(transformer.layout, seed: 5)
        let workspace = randomBatch(config, batch: 2, length: 6, seed: 6)
        var fresh = [Float](repeating: 0, count: parameters.count)
        _ = transformer.evaluateWithGradient(parameters: parameters, workspace: workspace, gradient: &fresh)
        var twice = fresh
        _ = transformer.evaluateWithGradient(parameters: parameters, workspace: workspace, gradient: &twice)
        for i in stride(from: 0, to: parameters.count, by: 97) {
            XCTAssertEqual(twice[i], 2 * fresh[i], accuracy: 1e-6 * max(1, abs(fresh[i])))
        }
    }

    /// Parameters with spreads large enough that every tensor's gradient is well above Float32
    /// noise (the real initialization is too close to zero for that).
    private func randomParameters(_ layout: ParameterLayout, seed: UInt64) -> [Float] {
        var parameters = GradientCheck.randomValues(layout.count, seed: seed, spread: 0.3)
        var draws = RandomStream(seed, 7)
        for (name, range) in layout.namedTensors where name.hasSuffix("norm1 weight") || name.hasSuffix("norm2 weight") || name == "final norm weight" {
            for i in range { parameters[i] = Float(1 + 0.2 * draws.nextNormal()) }
        }
        return parameters
    }

    /// Random tokens, targets and weights of both signs, with some zero-weight positions.
    private func randomBatch(_ config: TransformerConfig, batch: Int, length: Int, seed: UInt64) -> Workspace {
        let workspace = Workspace(config: config)
        workspace.prepare(batch: batch, length: length)
        var draws = RandomStream(seed, 8)
        for b in 0..<batch {
            workspace.setTokens(row: b, (0..<length).map { _ in Int32(draws.nextInt(below: config.vocabulary)) })
            for t in 0..<length where draws.nextInt(below: 4) != 0 {
                workspace.setTarget(row: b, position: t, token: Int32(draws.nextInt(below: config.vocabulary)),
                                    weight: Float(draws.nextNormal()))
            }
        }
        return workspace
    }

    private func checkModel(config: TransformerConfig, batch: Int, length: Int, perTensor: Int, seed: UInt64) -> GradientCheck.Result {
        let transformer = Transformer(config: config)
        var parameters = randomParameters(transformer.layout, seed: seed)
        let workspace = randomBatch(config, batch: batch, length: length, seed: seed)
        var gradient = [Float](repeating: 0, count: parameters.count)
        _ = transformer.evaluateWithGradient(parameters: parameters, workspace: workspace, gradient: &gradient)
        var draws = RandomStream(seed, 9)
        var indices: [Int] = []
        for (_, range) in transformer.layout.namedTensors {
            var candidates = Array(range)
            if range == transformer.layout.positionEmbedding { candidates = Array(range.prefix(length * config.width)) }
            for _ in 0..<perTensor { indices.append(candidates[draws.nextInt(below: candidates.count)]) }
        }
        return GradientCheck.compare(&parameters, indices: indices, analytic: gradient, step: 1e-2) {
            transformer.evaluate(parameters: $0, workspace: workspace)
        }
    }
}

final class LogLikelihoodTests: XCTestCase {
    func testNextTokenProbabilitiesSumToOne() {
        let policy = Policy(seed: 8), transformer = Transformer(config: policy.config)
        let total = CharacterVocabulary.characters.reduce(0.0) {
            $0 + Foundation.exp(transformer.logLikelihood(parameters: policy.parameters, prompt: "Q:12+7=", continuation: String($1)))
        }
        XCTAssertEqual(total, 1, accuracy: 1e-5)
    }

    func testLogLikelihoodOfASequenceIsTheSumOverItsTokens() {
        let policy = Policy(seed: 8), transformer = Transformer(config: policy.config)
        let whole = transformer.logLikelihood(parameters: policy.parameters, prompt: "Q:2+2=", continuation: "4.")
        let first = transformer.logLikelihood(parameters: policy.parameters, prompt: "Q:2+2=", continuation: "4")
        let second = transformer.logLikelihood(parameters: policy.parameters, prompt: "Q:2+2=4", continuation: ".")
        XCTAssertEqual(whole, first + second, accuracy: 1e-5)
    }
}
