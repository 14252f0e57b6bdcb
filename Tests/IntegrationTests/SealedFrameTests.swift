import Foundation
import XCTest

/// Issue 14.3: with a cluster token every frame after the handshake is sealed. A bit flipped on
/// the path, in either direction, closes that connection with the reason in the log, its shards
/// go to another worker, and the run ends with the curriculum of an undisturbed run.
final class SealedFrameTests: XCTestCase {
    static let method = ["--method", "gradalign", "--budget", "40", "--shard-rows", "64", "--validation-shard-rows", "5"]

    func testAFlippedBitClosesThatConnectionAndTheCurriculumIsUnchanged() throws {
        let harness = try Harness("sealed")
        let pool = harness.path("pool")
        XCTAssertEqual(try harness.run(["generate", "--out", pool, "--rows", "600", "--dim", "16", "--validation", "40", "--seed", "7"]).status, 0)
        let baseline = try harness.run(["select", "--data", pool, "--workers", "2", "--out", harness.path("baseline")] + Self.method)
        XCTAssertEqual(baseline.status, 0, baseline.stderr)
        let expected = try harness.read("baseline/epoch-0001/curriculum.jsonl")
        try "sealed-run-token\n".write(toFile: harness.path("token"), atomically: true, encoding: .utf8)
        let token = ["--token-file", harness.path("token")]

        let port = Harness.freePort()
        let coordinator = try WatchedProcess(["coordinator", "--listen", "127.0.0.1:\(port)", "--data", pool, "--out", harness.path("out"),
                                              "--expect-workers", "3", "--heartbeat-millis", "100"] + token + Self.method)
        // Worker → coordinator: the first record of 100 bytes or more after hello and auth (a
        // partialSum or scores frame; ready and heartbeats are shorter).
        let upstream = try TamperingProxy(target: port, flipping: .toCoordinator) { index, length in index >= 2 && length >= 100 }
        // Coordinator → worker: the first frame after welcome (challenge 0, authProof 1, welcome 2).
        let downstream = try TamperingProxy(target: port, flipping: .toWorker) { index, _ in index == 3 }
        let slow = ["GRADSIEVE_SHARD_DELAY_MS": "50"]
        let direct = try WatchedProcess(["worker", "--connect", "127.0.0.1:\(port)", "--name", "direct"] + token, environment: slow)
        let sending = try WatchedProcess(["worker", "--connect", "127.0.0.1:\(upstream.port)", "--name", "tampered-sending"] + token,
                                         environment: slow)
        let receiving = try WatchedProcess(["worker", "--connect", "127.0.0.1:\(downstream.port)", "--name", "tampered-receiving"] + token,
                                           environment: slow)

        XCTAssertEqual(coordinator.wait(), 0, coordinator.log)
        XCTAssertEqual(try harness.read("out/epoch-0001/curriculum.jsonl"), expected)
        XCTAssertEqual(direct.wait(), 0, direct.log)
        XCTAssertNotNil(upstream.flipped)
        XCTAssertNotNil(downstream.flipped)
        // The coordinator opened the flipped frame, refused it and said why.
        XCTAssertTrue(coordinator.log.contains("authentication failed: sealed frame number"), coordinator.log)
        // The worker that received the flipped frame refused it, said why, and told the coordinator.
        XCTAssertNotEqual(receiving.wait(), 0)
        XCTAssertTrue(receiving.log.contains("authentication failed"), receiving.log)
        XCTAssertTrue(coordinator.log.contains("reported error 8"), coordinator.log)
        XCTAssertNotEqual(sending.wait(), 0)
        XCTAssertTrue(sending.log.contains("error 8"), sending.log)
        // Sealed means unreadable on the path: the welcome's data path and the workers' results
        // never cross in the clear (plain frames would show the path's bytes).
        let toWorker = downstream.seen(.toWorker)
        XCTAssertGreaterThan(toWorker.count, 100)
        XCTAssertNil(toWorker.firstRange(of: Array(pool.utf8)), "the data path crossed in the clear")
        XCTAssertNil(upstream.seen(.toWorker).firstRange(of: Array(pool.utf8)), "the data path crossed in the clear")
    }
}
