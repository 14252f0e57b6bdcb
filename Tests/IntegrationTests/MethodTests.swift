import Foundation
import XCTest
import SieveData
import SieveSelect

/// Every method through real worker processes: the curriculum does not depend on the worker
/// count, and equals the selection computed in this one process from the same pool.
final class MethodTests: XCTestCase {
    static let rows = 1200

    func makePool(_ harness: Harness) throws -> String {
        let pool = harness.path("pool")
        let result = try harness.run(["generate", "--out", pool, "--rows", "\(Self.rows)", "--dim", "24", "--dtype", "bf16",
                                      "--validation", "20", "--rows-per-file", "500", "--seed", "3"])
        XCTAssertEqual(result.status, 0, result.stderr)
        return pool
    }

    func run(_ harness: Harness, _ pool: String, _ arguments: [String], workers: Int, out: String) throws -> [GradAlignReference.CurriculumLine] {
        let result = try harness.run(["select", "--data", pool, "--workers", "\(workers)", "--shard-rows", "100",
                                      "--out", harness.path(out), "--log-level", "warning"] + arguments)
        XCTAssertEqual(result.status, 0, result.stderr)
        return try GradAlignReference.parse(try harness.read(out + "/epoch-0002/curriculum.jsonl"))
    }

    /// Runs `arguments` with 1 and 3 workers for 2 epochs; returns epoch 2's curriculum after
    /// checking both runs wrote the same bytes for both epochs.
    func curriculum(_ harness: Harness, _ pool: String, _ arguments: [String], name: String) throws -> [GradAlignReference.CurriculumLine] {
        let lines = try run(harness, pool, arguments + ["--epochs", "2"], workers: 1, out: "\(name)-1")
        _ = try run(harness, pool, arguments + ["--epochs", "2"], workers: 3, out: "\(name)-3")
        for epoch in ["epoch-0001", "epoch-0002"] {
            XCTAssertEqual(try harness.read("\(name)-1/\(epoch)/curriculum.jsonl"), try harness.read("\(name)-3/\(epoch)/curriculum.jsonl"), "\(name) \(epoch)")
        }
        return lines
    }

    func column(_ pool: Pool, _ name: String) -> [Float] {
        pool.segments(rows: 0..<pool.rowCount).flatMap { pool.floats(name, $0)! }
    }

    func testLimrMatchesSingleProcessSelection() throws {
        let harness = try Harness("limr")
        let path = try makePool(harness)
        let lines = try curriculum(harness, path, ["--method", "limr", "--budget", "80"], name: "limr")
        let pool = try Pool.open(directory: path, readIDs: false)
        let k = pool.rewardEpochs!
        let rewards = column(pool, "rewards")
        var sum = [Double](repeating: 0, count: k)
        LIMR.addRewards(rewards, rowCount: pool.rowCount, epochs: k, into: &sum)
        let mean = LIMR.mean(sum: sum, rowCount: pool.rowCount)
        let denominator = try LIMR.denominator(mean: mean)
        let scores = (0..<pool.rowCount).map { LIMR.score(rewards: rewards[($0 * k)..<(($0 + 1) * k)], mean: mean, denominator: denominator) }
        XCTAssertEqual(lines.map(\.row), LIMR.select(scores: scores, threshold: 0.6, budget: 80))
    }

    func testLimrWithoutBudgetKeepsRowsAboveTheThreshold() throws {
        let harness = try Harness("limr-threshold")
        let path = try makePool(harness)
        let lines = try curriculum(harness, path, ["--method", "limr", "--threshold", "0.9"], name: "limr")
        XCTAssertFalse(lines.isEmpty)
        XCTAssertTrue(lines.allSatisfy { $0.score >= 0.9 })
    }

    func testAccuracyBandMatchesSingleProcessSelection() throws {
        let harness = try Harness("band")
        let path = try makePool(harness)
        let lines = try curriculum(harness, path, ["--method", "accuracy-band", "--budget", "60", "--low", "0.2", "--high", "0.8"], name: "band")
        let pool = try Pool.open(directory: path, readIDs: false)
        let kept = column(pool, "success").map { AccuracyBand.score(success: $0, low: 0.2, high: 0.8) }
        XCTAssertEqual(lines.map(\.row), AccuracyBand.select(scores: kept, budget: 60))
    }

    func testRandomIsSeededAndMatchesSingleProcessSelection() throws {
        let harness = try Harness("random")
        let path = try makePool(harness)
        let lines = try curriculum(harness, path, ["--method", "random", "--budget", "70", "--seed", "9"], name: "random")
        XCTAssertEqual(lines.map(\.row), RandomSelection.sample(rowCount: Self.rows, budget: 70, seed: 9, epoch: 2))
    }

    func testGainRLMovesItsCentreAndMatchesSingleProcessSelection() throws {
        let harness = try Harness("gainrl")
        let path = try makePool(harness)
        let lines = try curriculum(harness, path, ["--method", "gainrl", "--budget", "50", "--gainrl-sigma", "200"], name: "gainrl")
        let pool = try Pool.open(directory: path, readIDs: false)
        let angles = column(pool, "angle").map(Double.init), success = column(pool, "success")
        let ranked = GainRL.rank(angles: angles)
        let first = GainRL.sample(ranked: ranked, budget: 50, mu: 0, sigma: 200, seed: 1, epoch: 1)
        let feedback = GainRL.feedback(curriculum: first, success: success, angles: angles)!
        let mu = GainRL.nextMu(0, accuracy: feedback.accuracy, meanAngle: feedback.meanAngle, parameters: GainRLParameters(sigma: 200))
        XCTAssertEqual(lines.map(\.row), GainRL.sample(ranked: ranked, budget: 50, mu: mu, sigma: 200, seed: 1, epoch: 2))
        let run = try JSONSerialization.jsonObject(with: try harness.read("gainrl-1/run.json")) as! [String: Any]
        let epochs = run["epochs"] as! [[String: Any]]
        XCTAssertEqual(epochs[1]["gainrl_mu"] as! Double, mu, accuracy: 1e-9)
    }

    func testLearnAlignScoresMatchAnIndependentComputation() throws {
        let harness = try Harness("learnalign")
        let path = try makePool(harness)
        let lines = try curriculum(harness, path, ["--method", "learnalign", "--budget", "40"], name: "learnalign")
        let pool = try Pool.open(directory: path, readIDs: false)
        let d = pool.dimension!
        let grads = pool.segments(rows: 0..<pool.rowCount).flatMap { pool.gradFloats($0) }.map(Double.init)
        let success = column(pool, "success").map(Double.init)
        func unit(_ i: Int) -> [Double] {
            let row = Array(grads[(i * d)..<((i + 1) * d)])
            let norm = row.reduce(0) { $0 + $1 * $1 }.squareRoot()
            return norm > 0 ? row.map { $0 / norm } : row
        }
        var m = [Double](repeating: 0, count: d)
        for i in 0..<pool.rowCount {
            let v = success[i] * (1 - success[i]), u = unit(i)
            for j in 0..<d { m[j] += v * u[j] / Double(pool.rowCount) }
        }
        let expected = (0..<pool.rowCount).map { i -> Double in
            let u = unit(i)
            return success[i] * (1 - success[i]) * zip(u, m).reduce(0) { $0 + $1.0 * $1.1 }
        }
        for line in lines { XCTAssertEqual(line.score, expected[line.row], accuracy: 1e-6) }
        let chosen = Set(lines.map(\.row))
        let left = expected.indices.filter { !chosen.contains($0) }.map { expected[$0] }.max()!
        XCTAssertGreaterThanOrEqual(lines.map { expected[$0.row] }.min()!, left - 1e-6)
    }

    func testFacilityLocationDiversityIsIndependentOfWorkersAndReported() throws {
        let harness = try Harness("diversity")
        let path = try makePool(harness)
        let lines = try curriculum(harness, path, ["--method", "gradalign", "--budget", "30", "--diversity", "facility-location",
                                                    "--pool-factor", "4", "--partitions", "3"], name: "fl")
        XCTAssertEqual(lines.count, 30)
        XCTAssertEqual(Set(lines.map(\.row)).count, 30)
        let run = try JSONSerialization.jsonObject(with: try harness.read("fl-3/run.json")) as! [String: Any]
        let value = (run["epochs"] as! [[String: Any]])[0]["facility_location_value"] as! Double
        XCTAssertGreaterThan(value, 0)
    }

    func testMissingTensorIsNamedWithTheMethod() throws {
        let harness = try Harness("missing-tensor")
        let pool = harness.path("pool")
        XCTAssertEqual(try harness.run(["generate", "--out", pool, "--rows", "50", "--dim", "4"]).status, 0)
        // A pool whose signals carry only row and grad.
        let file = pool + "/signals/part-0000.safetensors"
        let original = try SafetensorsFile(path: file)
        let rowBytes = Array(original.bytes(original.tensors["row"]!)), gradBytes = Array(original.bytes(original.tensors["grad"]!))
        let writer = try SafetensorsWriter(path: file, tensors: [.init(name: "row", dtype: .i64, shape: [50]),
                                                                 .init(name: "grad", dtype: original.tensors["grad"]!.dtype, shape: [50, 4])])
        try writer.append(rowBytes)
        try writer.append(gradBytes)
        try writer.finish()
        for (method, tensor) in [("limr", "rewards"), ("gainrl", "angle"), ("accuracy-band", "success"), ("learnalign", "success")] {
            let result = try harness.run(["select", "--data", pool, "--method", method, "--budget", "5", "--workers", "1", "--out", harness.path("out-\(method)")])
            XCTAssertNotEqual(result.status, 0)
            XCTAssertTrue(result.stderr.contains("method \(method) needs tensor `\(tensor)`"), result.stderr)
            XCTAssertFalse(harness.exists("out-\(method)/run.json"))
        }
    }
}
