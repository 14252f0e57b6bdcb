import Foundation
import XCTest
import SieveData
import SieveSelect

/// Follow mode with limr on epochs whose signals carry `success` but no `rewards`: the
/// coordinator builds the reward history from the epochs it has seen, survives a SIGKILL with
/// `--resume`, and stops with a clear error on an epoch that carries neither tensor.
final class FollowLIMRTests: XCTestCase {
    static let rows = 300
    static let budget = 20
    static let seed: UInt64 = 3
    static let flags = ["--method", "limr", "--budget", "\(budget)", "--limr-history-epochs", "2", "--seed", "\(seed)",
                        "--shard-rows", "64", "--log-level", "info"]

    /// Row r's success in epoch e as the trainer reports it: a multiple of 1/8 that drifts
    /// with the epoch, faster for some rows than others.
    static func success(_ epoch: Int, _ row: Int) -> Float {
        Float(min(8, (row * 37 % 7) + (row % 3) * epoch)) / 8
    }

    func writeSamples(_ data: String) throws {
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        let lines = (0..<Self.rows).map { "{\"id\": \"p-\($0)\"}\n" }.joined()
        try lines.write(toFile: data + "/samples.jsonl", atomically: true, encoding: .utf8)
    }

    /// The trainer's epoch: `row` and the tensors given, in two files, then COMPLETE.
    func writeEpoch(_ data: String, _ epoch: Int, tensor: String = "success") throws {
        let signals = data + "/epochs/000\(epoch)/signals"
        try FileManager.default.createDirectory(atPath: signals, withIntermediateDirectories: true)
        for (part, range) in [(0, 0..<170), (1, 170..<Self.rows)].map({ ($0.0, $0.1) }) {
            let writer = try SafetensorsWriter(path: signals + "/part-000\(part).safetensors",
                                               tensors: [.init(name: "row", dtype: .i64, shape: [range.count]),
                                                         .init(name: tensor, dtype: .f32, shape: [range.count])])
            try writer.append(range.flatMap { row in withUnsafeBytes(of: Int64(row).littleEndian) { Array($0) } })
            try writer.append(range.flatMap { row in withUnsafeBytes(of: Self.success(epoch, row).bitPattern.littleEndian) { Array($0) } })
            try writer.finish()
        }
        _ = FileManager.default.createFile(atPath: data + "/epochs/000\(epoch)/COMPLETE", contents: Data())
    }

    /// What each epoch's curriculum must be, computed here from the success values alone.
    func expectedRows(_ epoch: Int) -> (rows: [Int], scores: [Double]?) {
        guard epoch > 2 else {
            return (RandomSelection.sample(rowCount: Self.rows, budget: Self.budget, seed: Self.seed, epoch: epoch), nil)
        }
        let history = Array(1..<epoch)
        let mean = history.map { e in (0..<Self.rows).reduce(0.0) { $0 + Double(Self.success(e, $1)) } / Double(Self.rows) }
        let denominator = mean.reduce(0.0) { $0 + (1 - $1) * (1 - $1) }
        let scores = (0..<Self.rows).map { r in
            1 - zip(history, mean).reduce(0.0) { $0 + pow(Double(Self.success($1.0, r)) - $1.1, 2) } / denominator
        }
        let ranked = (0..<Self.rows).sorted { scores[$0] > scores[$1] || (scores[$0] == scores[$1] && $0 < $1) }
        return (Array(ranked.prefix(Self.budget)), scores)
    }

    func testLimrWithoutRewardsBuildsItsHistoryAndResumesWithTheSameCurricula() throws {
        let harness = try Harness("follow-limr")
        // Undisturbed: every epoch is there from the start; two workers.
        let data = harness.path("data")
        try writeSamples(data)
        for epoch in 1...4 { try writeEpoch(data, epoch) }
        let undisturbed = try harness.run(["select", "--data", data, "--follow", "--epochs", "4", "--workers", "2",
                                           "--out", harness.path("a")] + Self.flags)
        XCTAssertEqual(undisturbed.status, 0, undisturbed.stderr)
        for epoch in 1...4 {
            let lines = try GradAlignReference.parse(try harness.read("a/epoch-000\(epoch)/curriculum.jsonl"))
            let (rows, scores) = expectedRows(epoch)
            XCTAssertEqual(lines.map(\.row), rows, "epoch \(epoch)")
            if let scores {
                for line in lines { XCTAssertEqual(line.score, scores[line.row], accuracy: 1e-9) }
            } else {
                XCTAssertTrue(lines.allSatisfy { $0.score == 0 }, "warm-up epochs are random's draw")
            }
        }
        XCTAssertTrue(undisturbed.stderr.contains("epoch 4: limr scores from the success history of epoch(s) [1, 2, 3]"), undisturbed.stderr)

        // Killed while waiting for epoch 4, resumed once the trainer wrote it; one worker.
        let data2 = harness.path("data2")
        try writeSamples(data2)
        for epoch in 1...3 { try writeEpoch(data2, epoch) }
        let port = Harness.freePort()
        let arguments = ["coordinator", "--listen", "127.0.0.1:\(port)", "--data", data2, "--follow", "--epochs", "4",
                         "--out", harness.path("b")] + Self.flags
        let first = try WatchedProcess(arguments)
        let worker = try WatchedProcess(["worker", "--connect", "127.0.0.1:\(port)"])
        first.waitFor("waiting for the trainer's data of epoch 4")
        first.signal(SIGKILL)
        _ = first.wait()
        try writeEpoch(data2, 4)
        let second = try WatchedProcess(arguments + ["--resume"])
        XCTAssertEqual(second.wait(), 0, second.log)
        XCTAssertTrue(second.log.contains("limr scores from the success history of epoch(s) [1, 2, 3]"), second.log)
        for epoch in 1...4 {
            XCTAssertEqual(try harness.read("b/epoch-000\(epoch)/curriculum.jsonl"), try harness.read("a/epoch-000\(epoch)/curriculum.jsonl"), "epoch \(epoch)")
            XCTAssertEqual(try harness.read("b/epoch-000\(epoch)/scores.jsonl"), try harness.read("a/epoch-000\(epoch)/scores.jsonl"), "epoch \(epoch)")
        }
        XCTAssertEqual(worker.wait(), 0, worker.log)
    }

    func testAnEpochWithNeitherRewardsNorSuccessIsNamed() throws {
        let harness = try Harness("follow-limr-missing")
        let data = harness.path("data")
        try writeSamples(data)
        try writeEpoch(data, 1, tensor: "angle")
        let result = try harness.run(["select", "--data", data, "--follow", "--epochs", "1", "--workers", "1",
                                      "--out", harness.path("out")] + Self.flags)
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.stderr.contains("epochs/0001/signals/*.safetensors"), result.stderr)
        XCTAssertTrue(result.stderr.contains("`rewards`") && result.stderr.contains("`success`"), result.stderr)
        XCTAssertFalse(harness.exists("out/run.json"))
    }
}
