import Foundation
import XCTest
import SieveData

/// Real processes on loopback: `gradsieve select`, `coordinator` and `worker`.
final class SelectTests: XCTestCase {
    func generate(_ harness: Harness, rows: Int = 3000, dim: Int = 48, dtype: String = "f16") throws -> String {
        let pool = harness.path("pool")
        let result = try harness.run(["generate", "--out", pool, "--rows", "\(rows)", "--dim", "\(dim)", "--dtype", dtype,
                                      "--validation", "40", "--rows-per-file", "700", "--seed", "7"])
        XCTAssertEqual(result.status, 0, result.stderr)
        return pool
    }

    func select(_ harness: Harness, _ pool: String, workers: Int, out: String, budget: Int = 150,
                extra: [String] = []) throws -> Harness.Result {
        try harness.run(["select", "--data", pool, "--method", "gradalign", "--budget", "\(budget)",
                         "--workers", "\(workers)", "--shard-rows", "128", "--validation-shard-rows", "16",
                         "--out", harness.path(out)] + extra)
    }

    func testCurriculumIsByteIdenticalWithOneTwoAndFourWorkers() throws {
        let harness = try Harness("workers")
        let pool = try generate(harness)
        var curricula: [Data] = []
        for workers in [1, 2, 4] {
            let result = try select(harness, pool, workers: workers, out: "out\(workers)")
            XCTAssertEqual(result.status, 0, result.stderr)
            curricula.append(try harness.read("out\(workers)/epoch-0001/curriculum.jsonl"))
        }
        XCTAssertEqual(curricula[0], curricula[1])
        XCTAssertEqual(curricula[0], curricula[2])
        XCTAssertEqual(try harness.read("out1/epoch-0001/scores.jsonl"), try harness.read("out4/epoch-0001/scores.jsonl"))
    }

    func testCurriculumMatchesAnIndependentGradAlignComputation() throws {
        for dtype in ["f32", "f16", "bf16"] {
            let harness = try Harness("reference-\(dtype)")
            let pool = try generate(harness, rows: 1500, dim: 37, dtype: dtype)
            let result = try select(harness, pool, workers: 2, out: "out")
            XCTAssertEqual(result.status, 0, result.stderr)
            let lines = try GradAlignReference.parse(try harness.read("out/epoch-0001/curriculum.jsonl"))
            let expected = try GradAlignReference.scores(pool: pool)
            XCTAssertEqual(lines.count, 150)
            XCTAssertEqual(lines.map(\.rank), Array(1...150))
            let chosen = Set(lines.map(\.row))
            let weakestChosen = lines.map { expected[$0.row] }.min()!
            let strongestLeft = expected.indices.filter { !chosen.contains($0) }.map { expected[$0] }.max()!
            // Scores agree to float rounding, and nothing left out beats anything chosen.
            for line in lines {
                XCTAssertEqual(line.score, expected[line.row], accuracy: 1e-5, "\(dtype) row \(line.row)")
                XCTAssertEqual(line.id, String(format: "gen-%06d", line.row))
            }
            XCTAssertGreaterThanOrEqual(weakestChosen, strongestLeft - 1e-5, dtype)
            for (a, b) in zip(lines, lines.dropFirst()) {
                XCTAssertTrue(a.score > b.score || (a.score == b.score && a.row < b.row), "order at rank \(a.rank)")
            }
        }
    }

    func testHandStartedCoordinatorAndWorkersMatchSelect() throws {
        let harness = try Harness("by-hand")
        let pool = try generate(harness)
        XCTAssertEqual(try select(harness, pool, workers: 2, out: "auto").status, 0)
        let port = Harness.freePort()
        let coordinator = try harness.start(["coordinator", "--listen", "127.0.0.1:\(port)", "--data", pool,
                                             "--method", "gradalign", "--budget", "150", "--expect-workers", "2",
                                             "--shard-rows", "128", "--validation-shard-rows", "16", "--out", harness.path("manual")])
        // One worker with its own --data, one that takes the coordinator's path.
        let first = try harness.start(["worker", "--connect", "127.0.0.1:\(port)", "--data", pool])
        let second = try harness.start(["worker", "--connect", "127.0.0.1:\(port)", "--slots", "2"])
        let workerResults = [harness.finish(first), harness.finish(second)]
        let result = harness.finish(coordinator)
        XCTAssertEqual(result.status, 0, result.stderr)
        for worker in workerResults { XCTAssertEqual(worker.status, 0, worker.stderr) }
        XCTAssertEqual(try harness.read("auto/epoch-0001/curriculum.jsonl"), try harness.read("manual/epoch-0001/curriculum.jsonl"))
    }

    func testRealMath8kIdsAreCarriedIntoTheCurriculum() throws {
        let samples = Harness.packageRoot.deletingLastPathComponent().appendingPathComponent("shared/data/math8k/samples.jsonl")
        try XCTSkipUnless(FileManager.default.fileExists(atPath: samples.path), "no ../shared/data/math8k here")
        let harness = try Harness("math8k")
        let pool = try generate(harness, rows: 8523, dim: 16)
        try FileManager.default.removeItem(atPath: pool + "/samples.jsonl")
        try FileManager.default.copyItem(atPath: samples.path, toPath: pool + "/samples.jsonl")
        let result = try select(harness, pool, workers: 2, out: "out", budget: 50)
        XCTAssertEqual(result.status, 0, result.stderr)
        let ids = try SamplesFile.readIDs(path: samples.path)
        for line in try GradAlignReference.parse(try harness.read("out/epoch-0001/curriculum.jsonl")) {
            XCTAssertEqual(line.id, ids[line.row])
        }
        let scores = String(decoding: try harness.read("out/epoch-0001/scores.jsonl"), as: UTF8.self)
        XCTAssertEqual(scores.split(separator: "\n").count, 8523)
        let run = try JSONSerialization.jsonObject(with: try harness.read("out/run.json")) as! [String: Any]
        XCTAssertEqual(run["method"] as? String, "gradalign")
        XCTAssertEqual((run["data"] as? [String: Any])?["rows"] as? Int, 8523)
    }
}
