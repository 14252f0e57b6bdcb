import Foundation
import SieveData
import XCTest

/// A coordinator never waits for nothing: a resumed run whose epochs are all written ends at
/// once, a join that does not happen ends with the reason (`--join-timeout`), and follow mode
/// runs until the trainer says it is done.
final class WaitingTests: XCTestCase {
    /// Killed after the curriculum is written and journaled: `--resume` has nothing left to do and
    /// exits 0 at once, without a worker, leaving the curriculum as it was.
    func testResumeAfterTheCurriculumIsWrittenExitsAtOnce() throws {
        let harness = try Harness("resume-finished")
        let pool = harness.path("pool")
        XCTAssertEqual(try harness.run(["generate", "--out", pool, "--rows", "600", "--dim", "8", "--validation", "10", "--seed", "3"]).status, 0)
        let port = Harness.freePort()
        let arguments = ["coordinator", "--listen", "127.0.0.1:\(port)", "--data", pool, "--out", harness.path("out"),
                         "--expect-workers", "1", "--method", "gradalign", "--budget", "25", "--shard-rows", "100"]
        let first = try WatchedProcess(arguments)
        let worker = try WatchedProcess(["worker", "--connect", "127.0.0.1:\(port)"])
        first.waitFor("epoch 1: written")
        waitForJournaledEpoch(harness.path("out/journal.gsj"))
        first.signal(SIGKILL)
        _ = first.wait()
        _ = worker.wait()
        let curriculum = try harness.read("out/epoch-0001/curriculum.jsonl")
        let started = Date()
        let second = try WatchedProcess(arguments + ["--resume"])
        XCTAssertEqual(second.wait(seconds: 20), 0, second.log)
        XCTAssertLessThan(Date().timeIntervalSince(started), 20)
        XCTAssertTrue(second.log.contains("already complete"), second.log)
        XCTAssertEqual(try harness.read("out/epoch-0001/curriculum.jsonl"), curriculum)
        XCTAssertTrue(harness.exists("out/run.json"))
    }

    func testJoinTimeoutEndsARunWhoseWorkersNeverCome() throws {
        let harness = try Harness("join-timeout")
        let pool = harness.path("pool")
        XCTAssertEqual(try harness.run(["generate", "--out", pool, "--rows", "200", "--dim", "8", "--seed", "3"]).status, 0)
        let coordinator = try WatchedProcess(["coordinator", "--listen", "127.0.0.1:\(Harness.freePort())", "--data", pool,
                                              "--out", harness.path("out"), "--expect-workers", "2", "--budget", "10",
                                              "--join-timeout", "1"])
        let status = coordinator.wait(seconds: 20)
        XCTAssertNotEqual(status, 0, coordinator.log)
        XCTAssertTrue(coordinator.log.contains("only 0 of 2 worker(s) joined within the join timeout (1 s, --join-timeout)"), coordinator.log)
    }

    func testJoinTimeoutIsRefusedWhenNotPositive() throws {
        let harness = try Harness("join-timeout-flag")
        let result = try harness.run(["coordinator", "--data", harness.path("none"), "--out", harness.path("out"), "--budget", "1",
                                      "--join-timeout", "0"])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.stderr.contains("--join-timeout must be positive"), result.stderr)
    }

    /// `--follow` without `--epochs` selects epoch after epoch until DATA/epochs/DONE.
    func testFollowWithoutEpochsRunsUntilTheTrainerIsDone() throws {
        let harness = try Harness("follow-done")
        let fm = FileManager.default
        let pool = harness.path("pool")
        XCTAssertEqual(try harness.run(["generate", "--out", pool, "--rows", "300", "--dim", "8", "--seed", "4"]).status, 0)
        let data = harness.path("data")
        try fm.createDirectory(atPath: data, withIntermediateDirectories: true)
        try fm.copyItem(atPath: pool + "/samples.jsonl", toPath: data + "/samples.jsonl")
        let port = Harness.freePort()
        let coordinator = try WatchedProcess(["coordinator", "--listen", "127.0.0.1:\(port)", "--data", data, "--follow",
                                              "--budget", "20", "--shard-rows", "100", "--out", harness.path("out")])
        let worker = try WatchedProcess(["worker", "--connect", "127.0.0.1:\(port)"])
        for epoch in 1...3 {
            coordinator.waitFor("waiting for the trainer's data of epoch \(epoch)")
            let directory = data + "/epochs/000\(epoch)"
            try fm.createDirectory(atPath: directory, withIntermediateDirectories: true)
            for part in ["signals", "validation"] { try fm.copyItem(atPath: pool + "/" + part, toPath: directory + "/" + part) }
            _ = fm.createFile(atPath: directory + "/COMPLETE", contents: Data())
        }
        coordinator.waitFor("waiting for the trainer's data of epoch 4")
        XCTAssertTrue(coordinator.isRunning, "a follow run without --epochs goes on after epoch 3")
        _ = fm.createFile(atPath: data + "/epochs/DONE", contents: Data())
        XCTAssertEqual(coordinator.wait(seconds: 30), 0, coordinator.log)
        XCTAssertTrue(coordinator.log.contains("the trainer is done (DATA/epochs/DONE) after epoch 3"), coordinator.log)
        for epoch in 1...3 { XCTAssertTrue(harness.exists("out/epoch-000\(epoch)/curriculum.jsonl"), "epoch \(epoch)") }
        XCTAssertFalse(harness.exists("out/epoch-0004"))
        XCTAssertEqual(worker.wait(), 0, worker.log)
    }

    /// Waits until the journal holds an `epochWritten` record (type 3).
    func waitForJournaledEpoch(_ path: String, seconds: Double = 30, file: StaticString = #filePath, line: UInt = #line) {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if let contents = try? JournalFile.read(path: path), contents.records.contains(where: { $0.first == 3 }) { return }
            usleep(10_000)
        }
        XCTFail("no epochWritten record in \(path) after \(seconds) s", file: file, line: line)
    }
}
