import Foundation
import XCTest

/// The whole loop through real worker processes: live signals, selection, data-parallel GRPO,
/// evaluation. Curricula and accuracies must not depend on the number of workers.
final class DemoTests: XCTestCase {
    func demo(_ harness: Harness, workers: Int, out: String) throws -> Harness.Result {
        try harness.run(["demo", "--out", harness.path(out), "--workers", "\(workers)", "--epochs", "2", "--pool", "96",
                         "--budget", "32", "--batch", "16", "--validation", "16", "--test", "48", "--rollouts", "4",
                         "--proj-dim", "32", "--warm-steps", "40", "--tiers", "1,1,0,0,0", "--method", "gradalign"])
    }

    func testDemoRunsThroughWorkersAndDoesNotDependOnTheirNumber() throws {
        let harness = try Harness("demo")
        let one = try demo(harness, workers: 1, out: "one")
        XCTAssertEqual(one.status, 0, one.stderr)
        let two = try demo(harness, workers: 2, out: "two")
        XCTAssertEqual(two.status, 0, two.stderr)
        for epoch in ["epoch-0001", "epoch-0002"] {
            XCTAssertEqual(try harness.read("one/\(epoch)/curriculum.jsonl"), try harness.read("two/\(epoch)/curriculum.jsonl"), epoch)
        }
        struct Line: Decodable {
            let epoch: Int; let method: String; let selected: Int; let train_reward: Double; let test_accuracy: Double; let seconds: Double
            let test_accuracy_by_tier: [Double?]
        }
        func metrics(_ name: String) throws -> [Line] {
            try String(decoding: harness.read(name + "/metrics.jsonl"), as: UTF8.self).split(separator: "\n").map {
                try JSONDecoder().decode(Line.self, from: Data($0.utf8))
            }
        }
        let a = try metrics("one"), b = try metrics("two")
        XCTAssertEqual(a.map(\.epoch), [0, 1, 2])
        XCTAssertEqual(a.map(\.test_accuracy), b.map(\.test_accuracy))
        XCTAssertEqual(a.map(\.train_reward), b.map(\.train_reward))
        XCTAssertEqual(a[1].selected, 32)
        XCTAssertEqual(a.map(\.test_accuracy_by_tier), b.map(\.test_accuracy_by_tier))
        for line in a {
            // --tiers 1,1,0,0,0: the test set holds tiers 0 and 1 only, and the total lies between them.
            XCTAssertEqual(line.test_accuracy_by_tier.count, 5)
            XCTAssertEqual(line.test_accuracy_by_tier[2...].compactMap { $0 }, [], "epoch \(line.epoch)")
            let (t0, t1) = (line.test_accuracy_by_tier[0]!, line.test_accuracy_by_tier[1]!)
            XCTAssertTrue(min(t0, t1) - 1e-12 <= line.test_accuracy && line.test_accuracy <= max(t0, t1) + 1e-12, "epoch \(line.epoch)")
        }
        XCTAssertTrue(one.stdout.contains("epoch 2  gradalign"), one.stdout)
    }

    /// limr live: the coordinator keeps each row's success; the first --limr-history-epochs
    /// epochs train on random's draw (the very same curricula and accuracies as a random run),
    /// the next one on limr's ranking of the success history gathered so far.
    func testLimrLiveDrawsRandomlyWhileItBuildsItsHistoryThenScoresFromIt() throws {
        let harness = try Harness("demo-limr")
        func demo(_ method: String, workers: Int) throws -> Harness.Result {
            try harness.run(["demo", "--out", harness.path(method), "--workers", "\(workers)", "--epochs", "3", "--pool", "128",
                             "--budget", "32", "--batch", "16", "--validation", "16", "--test", "48", "--rollouts", "4",
                             "--proj-dim", "32", "--warm-steps", "40", "--tiers", "1,1,0,0,0", "--method", method,
                             "--limr-history-epochs", "2", "--passes", "1"])
        }
        let limr = try demo("limr", workers: 2)
        XCTAssertEqual(limr.status, 0, limr.stderr)
        let random = try demo("random", workers: 1)
        XCTAssertEqual(random.status, 0, random.stderr)
        for epoch in ["epoch-0001", "epoch-0002"] {
            XCTAssertEqual(try harness.read("limr/\(epoch)/curriculum.jsonl"), try harness.read("random/\(epoch)/curriculum.jsonl"), epoch)
        }
        func metrics(_ name: String) throws -> [[String: Any]] {
            try String(decoding: harness.read(name + "/metrics.jsonl"), as: UTF8.self).split(separator: "\n").map {
                try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
            }
        }
        let limrMetrics = try metrics("limr"), randomMetrics = try metrics("random")
        XCTAssertEqual(limrMetrics.count, 4)
        for epoch in 1...2 {
            XCTAssertEqual(limrMetrics[epoch]["test_accuracy"] as? Double, randomMetrics[epoch]["test_accuracy"] as? Double, "epoch \(epoch)")
        }
        // Epoch 3: limr over the success the workers reported in epochs 1 and 2 (scores.jsonl).
        func column(_ epoch: Int, _ name: String) throws -> [Double] {
            try String(decoding: harness.read("limr/epoch-000\(epoch)/scores.jsonl"), as: UTF8.self).split(separator: "\n").map {
                ((try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any])[name] as! NSNumber).doubleValue
            }
        }
        let history = [try column(1, "success"), try column(2, "success")]
        let rows = history[0].count
        XCTAssertEqual(rows, 128)
        var mean: [Double] = []
        for column in history {
            var sum = 0.0
            for value in column { sum += value }
            mean.append(sum / Double(rows))
        }
        var denominator = 0.0
        for m in mean { denominator += (1 - m) * (1 - m) }
        var expected: [Double] = []
        for r in 0..<rows {
            var distance = 0.0
            for k in 0..<2 {
                let difference = history[k][r] - mean[k]
                distance += difference * difference
            }
            expected.append(1 - distance / denominator)
        }
        let ranked = (0..<rows).sorted { (a: Int, b: Int) -> Bool in expected[a] > expected[b] || (expected[a] == expected[b] && a < b) }
        let third = try GradAlignReference.parse(try harness.read("limr/epoch-0003/curriculum.jsonl"))
        XCTAssertEqual(third.map(\.row), Array(ranked.prefix(32)))
        for line in third { XCTAssertEqual(line.score, expected[line.row], accuracy: 1e-9) }
        XCTAssertEqual(try column(3, "score").count, rows)
        XCTAssertNotEqual(try harness.read("limr/epoch-0003/curriculum.jsonl"), try harness.read("random/epoch-0003/curriculum.jsonl"))
        XCTAssertTrue(limr.stdout.contains("epoch 3  limr"), limr.stdout)
    }

    /// `--compare`: the full-data arm and every live method from one warm start, the same GRPO
    /// steps each; compare.md holds one row per arm, and the full arm trains on the whole pool.
    func testCompareRunsTheFullDataArmAndEveryMethodAtEqualSteps() throws {
        let harness = try Harness("demo-compare")
        let result = try harness.run(["demo", "--compare", "--out", harness.path("cmp"), "--seeds", "1", "--workers", "1",
                                      "--epochs", "1", "--pool", "64", "--budget", "16", "--batch", "8", "--passes", "2",
                                      "--validation", "8", "--test", "16", "--rollouts", "2", "--proj-dim", "16",
                                      "--warm-steps", "10", "--tiers", "1,1,0,0,0", "--limr-history-epochs", "1"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let table = String(decoding: try harness.read("cmp/compare.md"), as: UTF8.self)
        for arm in ["full", "random", "gradalign", "learnalign", "limr", "gainrl", "accuracy-band"] {
            XCTAssertTrue(table.contains("| \(arm) | "), "no row for \(arm) in\n\(table)")
        }
        XCTAssertTrue(table.contains("4 GRPO steps of 8 problems"), table)
        XCTAssertTrue(table.contains("| warm start | "), table)
        func lines(_ arm: String) throws -> [[String: Any]] {
            try String(decoding: harness.read("cmp/\(arm)/seed-1/metrics.jsonl"), as: UTF8.self).split(separator: "\n").map {
                try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
            }
        }
        XCTAssertEqual(try lines("full")[1]["selected"] as? Int, 64)
        XCTAssertEqual(try lines("full")[1]["method"] as? String, "full")
        XCTAssertEqual(try lines("gradalign")[1]["selected"] as? Int, 16)
        let curriculum = String(decoding: try harness.read("cmp/full/seed-1/epoch-0001/curriculum.jsonl"), as: UTF8.self)
        XCTAssertEqual(curriculum.split(separator: "\n").count, 64)
    }
}
