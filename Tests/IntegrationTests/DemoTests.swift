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
        struct Line: Decodable { let epoch: Int; let method: String; let selected: Int; let train_reward: Double; let test_accuracy: Double; let seconds: Double }
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
        XCTAssertTrue(one.stdout.contains("epoch 2  gradalign"), one.stdout)
    }
}
