import Foundation
import XCTest

/// Follow mode with this test playing the trainer: it writes each epoch's signals under
/// DATA/epochs/NNNN/ and COMPLETE last; the cluster answers with that epoch's curriculum.
final class FollowTests: XCTestCase {
    func testCoordinatorFollowsTheTrainerEpochByEpoch() throws {
        let harness = try Harness("follow")
        let fm = FileManager.default
        var expected: [Data] = []
        for seed in 1...2 {
            let pool = harness.path("pool\(seed)")
            XCTAssertEqual(try harness.run(["generate", "--out", pool, "--rows", "800", "--dim", "8", "--seed", "\(seed)"]).status, 0)
            XCTAssertEqual(try harness.run(["select", "--data", pool, "--budget", "30", "--workers", "1", "--shard-rows", "100",
                                            "--out", harness.path("expected\(seed)")]).status, 0)
            expected.append(try harness.read("expected\(seed)/epoch-0001/curriculum.jsonl"))
        }
        let data = harness.path("data")
        try fm.createDirectory(atPath: data, withIntermediateDirectories: true)
        try fm.copyItem(atPath: harness.path("pool1/samples.jsonl"), toPath: data + "/samples.jsonl")
        let port = Harness.freePort()
        let coordinator = try WatchedProcess(["coordinator", "--listen", "127.0.0.1:\(port)", "--data", data, "--follow", "--epochs", "2",
                                              "--budget", "30", "--shard-rows", "100", "--out", harness.path("out")])
        let worker = try WatchedProcess(["worker", "--connect", "127.0.0.1:\(port)"])
        coordinator.waitFor("waiting for the trainer's data of epoch 1")
        for epoch in 1...2 {
            let directory = data + "/epochs/000\(epoch)"
            try fm.createDirectory(atPath: directory, withIntermediateDirectories: true)
            for part in ["signals", "validation"] {
                try fm.copyItem(atPath: harness.path("pool\(epoch)/\(part)"), toPath: directory + "/" + part)
            }
            XCTAssertFalse(harness.exists("out/epoch-000\(epoch)/curriculum.jsonl"), "nothing before COMPLETE")
            _ = fm.createFile(atPath: directory + "/COMPLETE", contents: Data())
            let deadline = Date().addingTimeInterval(30)
            while !harness.exists("out/epoch-000\(epoch)/curriculum.jsonl") && Date() < deadline { usleep(50_000) }
            XCTAssertEqual(try harness.read("out/epoch-000\(epoch)/curriculum.jsonl"), expected[epoch - 1], "epoch \(epoch)")
        }
        XCTAssertEqual(coordinator.wait(), 0, coordinator.log)
        XCTAssertEqual(worker.wait(), 0, worker.log)
    }
}
