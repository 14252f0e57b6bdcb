import Foundation
import SieveData
import SieveWire
import XCTest

/// What clusters do to a run, done to real processes: kill -9 workers and the coordinator,
/// SIGSTOP a worker past its time-out, SIGTERM the coordinator. Every run must end with the
/// curriculum an undisturbed run writes.
final class FaultTests: XCTestCase {
    /// Slow shards (GRADSIEVE_SHARD_DELAY_MS) keep every phase under way long enough to act in.
    static let slow = ["GRADSIEVE_SHARD_DELAY_MS": "120"]
    static let method = ["--method", "gradalign", "--budget", "40", "--diversity", "facility-location",
                         "--pool-factor", "4", "--partitions", "4", "--shard-rows", "128", "--validation-shard-rows", "5"]

    /// A pool and the curriculum an undisturbed `select` writes for it.
    func baseline(_ harness: Harness) throws -> (pool: String, curriculum: Data) {
        let pool = harness.path("pool")
        XCTAssertEqual(try harness.run(["generate", "--out", pool, "--rows", "2000", "--dim", "16", "--validation", "40", "--seed", "5"]).status, 0)
        let result = try harness.run(["select", "--data", pool, "--workers", "2", "--out", harness.path("baseline")] + Self.method)
        XCTAssertEqual(result.status, 0, result.stderr)
        return (pool, try harness.read("baseline/epoch-0001/curriculum.jsonl"))
    }

    func coordinator(_ harness: Harness, _ pool: String, port: Int, out: String, extra: [String] = []) throws -> WatchedProcess {
        try WatchedProcess(["coordinator", "--listen", "127.0.0.1:\(port)", "--data", pool, "--out", harness.path(out),
                            "--expect-workers", "3", "--heartbeat-millis", "100", "--worker-timeout", "1"] + Self.method + extra)
    }

    func workers(_ count: Int, port: Int) throws -> [WatchedProcess] {
        try (0..<count).map { try WatchedProcess(["worker", "--connect", "127.0.0.1:\(port)", "--name", "w\($0)"], environment: Self.slow) }
    }

    func testKillingAWorkerInEachPhaseLeavesTheCurriculumUnchanged() throws {
        let harness = try Harness("kill-worker")
        let (pool, expected) = try baseline(harness)
        for (index, marker) in ["validation sum over", "scoring", "facility location over"].enumerated() {
            let port = Harness.freePort()
            let coordinator = try self.coordinator(harness, pool, port: port, out: "out\(index)")
            let crew = try workers(3, port: port)
            coordinator.waitFor("epoch 1: \(marker)")
            crew[index].signal(SIGKILL)
            XCTAssertEqual(coordinator.wait(), 0, coordinator.log)
            XCTAssertEqual(try harness.read("out\(index)/epoch-0001/curriculum.jsonl"), expected, "killed in \(marker)")
            XCTAssertTrue(coordinator.log.contains("disconnected") || coordinator.log.contains("declared lost"), coordinator.log)
        }
    }

    func testCoordinatorKilledMidEpochResumesWithTheSameCurriculum() throws {
        let harness = try Harness("kill-coordinator")
        let (pool, expected) = try baseline(harness)
        let port = Harness.freePort()
        let first = try coordinator(harness, pool, port: port, out: "out")
        let crew = try workers(3, port: port)
        first.waitFor("epoch 1: scoring")
        // Kill once some score shards are in the journal (what the resume must restore), not
        // after a guessed delay.
        waitForJournaledScores(harness.path("out/journal.gsj"))
        first.signal(SIGKILL)
        _ = first.wait()
        XCTAssertFalse(harness.exists("out/epoch-0001/curriculum.jsonl"))
        let second = try coordinator(harness, pool, port: port, out: "out", extra: ["--resume"])
        XCTAssertEqual(second.wait(), 0, second.log)
        XCTAssertTrue(second.log.contains("restored from the journal"), second.log)
        XCTAssertEqual(try harness.read("out/epoch-0001/curriculum.jsonl"), expected)
        for worker in crew { XCTAssertEqual(worker.wait(), 0, worker.log) }
    }

    func testAStoppedWorkerIsDeclaredLostAndItsLateResultsIgnored() throws {
        let harness = try Harness("sigstop")
        let (pool, expected) = try baseline(harness)
        let port = Harness.freePort()
        let coordinator = try self.coordinator(harness, pool, port: port, out: "out")
        let crew = try workers(3, port: port)
        coordinator.waitFor("epoch 1: scoring")
        crew[0].signal(SIGSTOP)
        coordinator.waitFor("declared lost")
        crew[0].signal(SIGCONT)
        XCTAssertEqual(coordinator.wait(), 0, coordinator.log)
        XCTAssertEqual(try harness.read("out/epoch-0001/curriculum.jsonl"), expected)
    }

    func testSIGTERMStopsCleanlyAndResumeFinishesTheRun() throws {
        let harness = try Harness("sigterm")
        let (pool, expected) = try baseline(harness)
        let port = Harness.freePort()
        let first = try coordinator(harness, pool, port: port, out: "out")
        let crew = try workers(3, port: port)
        first.waitFor("epoch 1: scoring")
        first.signal(SIGTERM)
        XCTAssertEqual(first.wait(), 0, first.log)
        XCTAssertTrue(first.log.contains("--resume"), first.log)
        XCTAssertFalse(harness.exists("out/run.json"))
        let second = try coordinator(harness, pool, port: port, out: "out", extra: ["--resume"])
        XCTAssertEqual(second.wait(), 0, second.log)
        XCTAssertEqual(try harness.read("out/epoch-0001/curriculum.jsonl"), expected)
        for worker in crew { XCTAssertEqual(worker.wait(), 0, worker.log) }
    }

    func testResumeRefusesAJournalOfADifferentRun() throws {
        let harness = try Harness("resume-mismatch")
        let (pool, _) = try baseline(harness)
        let port = Harness.freePort()
        let first = try coordinator(harness, pool, port: port, out: "out")
        let crew = try workers(3, port: port)
        first.waitFor("epoch 1: scoring")
        first.signal(SIGKILL)
        _ = first.wait()
        for worker in crew { worker.signal(SIGKILL) }
        let refused = try harness.run(["coordinator", "--listen", "127.0.0.1:0", "--data", pool, "--out", harness.path("out"),
                                       "--method", "gradalign", "--budget", "41", "--resume"])
        XCTAssertNotEqual(refused.status, 0)
        XCTAssertTrue(refused.stderr.contains("parameter.budget: journal has 40, this run has 41"), refused.stderr)
        let fresh = try harness.run(["coordinator", "--listen", "127.0.0.1:0", "--data", pool, "--out", harness.path("out"), "--method", "gradalign"])
        XCTAssertNotEqual(fresh.status, 0)
        XCTAssertTrue(fresh.stderr.contains("unfinished run"), fresh.stderr)
    }
}

/// Cut connections and delayed traffic, from a fault-injecting TCP proxy of ours between the
/// workers and the coordinator (scripts/faultproxy.py).
final class FlakyNetworkTests: XCTestCase {
    func testCutAndDelayedConnectionsStillGiveTheSameCurriculum() throws {
        let harness = try Harness("proxy")
        let pool = harness.path("pool")
        XCTAssertEqual(try harness.run(["generate", "--out", pool, "--rows", "3000", "--dim", "32", "--validation", "40"]).status, 0)
        let arguments = ["--method", "gradalign", "--budget", "60", "--shard-rows", "100", "--validation-shard-rows", "8"]
        XCTAssertEqual(try harness.run(["select", "--data", pool, "--workers", "2", "--out", harness.path("baseline")] + arguments).status, 0)
        let port = Harness.freePort(), proxyPort = Harness.freePort()
        let coordinator = try WatchedProcess(["coordinator", "--listen", "127.0.0.1:\(port)", "--data", pool, "--out", harness.path("out"),
                                              "--expect-workers", "2"] + arguments)
        let proxy = Process()
        proxy.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        proxy.arguments = ["python3", Harness.packageRoot.appendingPathComponent("scripts/faultproxy.py").path,
                           "--listen", "127.0.0.1:\(proxyPort)", "--target", "127.0.0.1:\(port)",
                           "--delay-ms", "3", "--cut-after", "20000", "--cuts", "3"]
        let proxyOutput = Pipe()
        proxy.standardOutput = proxyOutput
        try proxy.run()
        defer { proxy.terminate() }
        _ = proxyOutput.fileHandleForReading.availableData   // "listening"
        let workers = try (0..<2).map { _ in
            try WatchedProcess(["worker", "--connect", "127.0.0.1:\(proxyPort)"], environment: ["GRADSIEVE_SHARD_DELAY_MS": "20"])
        }
        XCTAssertEqual(coordinator.wait(seconds: 120), 0, coordinator.log)
        for worker in workers { XCTAssertEqual(worker.wait(), 0, worker.log) }
        XCTAssertEqual(try harness.read("out/epoch-0001/curriculum.jsonl"), try harness.read("baseline/epoch-0001/curriculum.jsonl"))
        XCTAssertTrue(coordinator.log.contains("disconnected"), "the proxy cut no connection:\n\(coordinator.log)")
    }
}

/// Separate hosts stood in for by network namespaces joined by a veth pair (scripts/netns-test.sh);
/// skipped with the script's message where the machine does not allow namespaces.
final class NamespaceHostTests: XCTestCase {
    func testWorkerOnAnotherHostJoinsWithTheToken() throws {
        let script = Harness.packageRoot.appendingPathComponent("scripts/netns-test.sh").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [script, Harness.binary]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        try XCTSkipIf(process.terminationStatus == 77, text)
        XCTAssertEqual(process.terminationStatus, 0, text)
        XCTAssertTrue(text.contains("ok: worker at 10.77.0.2"), text)
    }
}

extension FaultTests {
    /// Waits until the journal at `path` holds a `scores` result (a record of kind 2, a whole
    /// wire frame, as JournalRecord lays it out); fails the test after `seconds`.
    func waitForJournaledScores(_ path: String, seconds: Double = 30, file: StaticString = #filePath, line: UInt = #line) {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if let contents = try? JournalFile.read(path: path),
               contents.records.contains(where: { record in
                   guard record.first == 2 else { return false }
                   var decoder = FrameDecoder()
                   decoder.append(Array(record.dropFirst()))
                   guard case .scores? = (try? decoder.nextMessage())??.message else { return false }
                   return true
               }) {
                return
            }
            usleep(10_000)
        }
        XCTFail("no scores record in \(path) after \(seconds) s", file: file, line: line)
    }
}
