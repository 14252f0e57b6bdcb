import Foundation
import XCTest

/// The whole loop through real worker processes: live signals, selection, data-parallel GRPO,
/// evaluation. Curricula and accuracies must not depend on the number of workers.
final class DemoTests: XCTestCase {
    func demo(_ harness: Harness, workers: Int, out: String) throws -> Harness.Result {
        try harness.run(["demo", "--out", harness.path(out), "--workers", "\(workers)", "--epochs", "2", "--pool", "96",
                         "--budget", "32", "--batch", "16", "--validation", "16", "--test", "48", "--rollouts", "4",
                         "--proj-dim", "32", "--warm-steps", "40", "--tiers", "1,1,0,0,0", "--method", "gradalign", "--task", "arithmetic"])
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
                             "--proj-dim", "32", "--warm-steps", "40", "--tiers", "1,1,0,0,0", "--method", method, "--task", "arithmetic",
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
                                      "--warm-steps", "10", "--tiers", "1,1,0,0,0", "--limr-history-epochs", "1", "--task", "arithmetic"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let table = String(decoding: try harness.read("cmp/compare.md"), as: UTF8.self)
        for arm in ["full", "random", "gradalign", "learnalign", "limr", "gainrl", "accuracy-band"] {
            XCTAssertTrue(table.contains("| \(arm) | "), "no row for \(arm) in\n\(table)")
        }
        XCTAssertTrue(table.contains("1 epochs of 4 GRPO steps (batch 8"), table)
        XCTAssertTrue(table.contains("| warm start | "), table)
        XCTAssertFalse(table.contains("| clean | "), "the clean-target arm is reversed-addition's")
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

    /// The default task: reversed addition, a fresh chunk of the pool scored each epoch, ids that
    /// name the chunk's problems, per-component picks, sampled accuracy and rollouts in
    /// metrics.jsonl; curricula and metrics independent of the number of workers.
    func testReversedAdditionScoresAFreshChunkPerEpochWhateverTheWorkers() throws {
        let harness = try Harness("demo-reversed")
        func demo(workers: Int, out: String) throws -> Harness.Result {
            try harness.run(["demo", "--out", harness.path(out), "--workers", "\(workers)", "--epochs", "2", "--pool", "256",
                             "--chunk-size", "64", "--budget", "16", "--batch", "8", "--steps-per-epoch", "2", "--validation", "8",
                             "--test", "32", "--rollouts", "4", "--proj-dim", "16", "--warm-steps", "20", "--eval-samples", "4",
                             "--method", "gradalign", "--gradalign-score", "simacc"])
        }
        let one = try demo(workers: 1, out: "one")
        XCTAssertEqual(one.status, 0, one.stderr)
        let two = try demo(workers: 2, out: "two")
        XCTAssertEqual(two.status, 0, two.stderr)
        for epoch in ["epoch-0001", "epoch-0002"] {
            XCTAssertEqual(try harness.read("one/\(epoch)/curriculum.jsonl"), try harness.read("two/\(epoch)/curriculum.jsonl"), epoch)
        }
        // Epoch 2 scores chunk 1: rows 0..<64 are problems 64..<128.
        let second = try GradAlignReference.parse(try harness.read("one/epoch-0002/curriculum.jsonl"))
        XCTAssertEqual(second.count, 16)
        let ids = try String(decoding: harness.read("one/epoch-0002/curriculum.jsonl"), as: UTF8.self).split(separator: "\n").map {
            (try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any])["id"] as! String
        }
        XCTAssertEqual(ids, second.map { String(format: "train-%06d", 64 + $0.row) })
        let scores = String(decoding: try harness.read("one/epoch-0002/scores.jsonl"), as: UTF8.self).split(separator: "\n")
        XCTAssertEqual(scores.count, 64, "only the chunk is scored")
        func metrics(_ name: String) throws -> [[String: Any]] {
            try String(decoding: harness.read(name + "/metrics.jsonl"), as: UTF8.self).split(separator: "\n").map {
                try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
            }
        }
        let a = try metrics("one"), b = try metrics("two")
        XCTAssertEqual(a.count, 3)
        for (x, y) in zip(a, b) {
            XCTAssertEqual(x["sampled_accuracy"] as? Double, y["sampled_accuracy"] as? Double)
            XCTAssertEqual(x["test_accuracy"] as? Double, y["test_accuracy"] as? Double)
        }
        XCTAssertNotNil(a[0]["sampled_accuracy"] as? Double)
        XCTAssertEqual(a[0]["rollouts"] as? Int, 0)
        for epoch in 1...2 {
            let picked = try XCTUnwrap(a[epoch]["picked"] as? [String: Int])
            XCTAssertEqual(Set(picked.keys), ["target", "easy", "hard", "unreliable", "distractor"])
            XCTAssertEqual(picked.values.reduce(0, +), 16)
            // 2 steps x 8 problems x 4 rollouts of training, (64 chunk + 8 validation) x 4 of scoring.
            XCTAssertEqual(a[epoch]["rollouts"] as? Int, epoch * (2 * 8 * 4 + 72 * 4))
            XCTAssertEqual(a[epoch]["scoring_rollouts"] as? Int, epoch * 72 * 4)
        }
    }
}
