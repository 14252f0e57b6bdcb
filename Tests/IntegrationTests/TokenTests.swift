import Foundation
import XCTest

/// The cluster token: right token joins, wrong or missing token is refused with a reason and
/// no retry, and a slow handshake is cut off; the run goes on.
final class TokenTests: XCTestCase {
    func testWrongTokenIsRefusedAndTheRightOneServes() throws {
        let harness = try Harness("token")
        let pool = harness.path("pool")
        XCTAssertEqual(try harness.run(["generate", "--out", pool, "--rows", "300", "--dim", "8"]).status, 0)
        try "s3cret-token\n".write(toFile: harness.path("token"), atomically: true, encoding: .utf8)
        try "not-the-token".write(toFile: harness.path("wrong"), atomically: true, encoding: .utf8)
        let port = Harness.freePort()
        let coordinator = try WatchedProcess(["coordinator", "--listen", "0.0.0.0:\(port)", "--data", pool, "--budget", "10",
                                              "--expect-workers", "1", "--token-file", harness.path("token"),
                                              "--handshake-timeout", "1", "--out", harness.path("out")])
        // A peer that connects and says nothing is closed after the handshake time-out.
        let silent = try RawPeer(port: port)
        let started = Date()
        XCTAssertTrue(silent.readToEnd().isEmpty)
        XCTAssertLessThan(Date().timeIntervalSince(started), 8)
        let wrong = try harness.run(["worker", "--connect", "127.0.0.1:\(port)", "--token-file", harness.path("wrong")])
        XCTAssertNotEqual(wrong.status, 0)
        XCTAssertTrue(wrong.stderr.contains("token"), wrong.stderr)
        let none = try harness.run(["worker", "--connect", "127.0.0.1:\(port)"])
        XCTAssertNotEqual(none.status, 0)
        XCTAssertTrue(none.stderr.contains("requires a cluster token"), none.stderr)
        let right = try harness.run(["worker", "--connect", "127.0.0.1:\(port)", "--token-file", harness.path("token")])
        XCTAssertEqual(right.status, 0, right.stderr)
        XCTAssertEqual(coordinator.wait(), 0, coordinator.log)
        XCTAssertTrue(coordinator.log.contains("token proof does not match"), coordinator.log)
        XCTAssertTrue(harness.exists("out/epoch-0001/curriculum.jsonl"))
    }

    func testWithoutATokenTheCoordinatorListensOnLoopbackOnlyAndSaysSo() throws {
        let harness = try Harness("no-token")
        let pool = harness.path("pool")
        XCTAssertEqual(try harness.run(["generate", "--out", pool, "--rows", "100", "--dim", "4"]).status, 0)
        let result = try harness.run(["select", "--data", pool, "--budget", "5", "--workers", "1", "--out", harness.path("out")])
        XCTAssertEqual(result.status, 0, result.stderr)
        let port = Harness.freePort()
        let coordinator = try WatchedProcess(["coordinator", "--listen", "0.0.0.0:\(port)", "--data", pool, "--budget", "5",
                                              "--out", harness.path("out2")])
        coordinator.waitFor("listening on 127.0.0.1 only")
        let worker = try harness.run(["worker", "--connect", "127.0.0.1:\(port)"])
        XCTAssertEqual(worker.status, 0, worker.stderr)
        XCTAssertEqual(coordinator.wait(), 0)
    }
}

/// Type=notify: the coordinator tells systemd it is ready once it listens.
final class ReadinessTests: XCTestCase {
    func testCoordinatorSendsReadyToNotifySocketOnceListening() throws {
        let harness = try Harness("notify")
        let pool = harness.path("pool")
        XCTAssertEqual(try harness.run(["generate", "--out", pool, "--rows", "100", "--dim", "4"]).status, 0)
        let path = harness.path("notify.sock")
        let descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        defer { close(descriptor) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8)) }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        XCTAssertEqual(bound, 0)
        var timeout = timeval(tv_sec: 20, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let port = Harness.freePort()
        let coordinator = try WatchedProcess(["coordinator", "--listen", "127.0.0.1:\(port)", "--data", pool, "--budget", "5",
                                              "--out", harness.path("out")], environment: ["NOTIFY_SOCKET": path])
        var buffer = [UInt8](repeating: 0, count: 512)
        let count = recv(descriptor, &buffer, buffer.count, 0)
        XCTAssertGreaterThan(count, 0)
        let text = String(decoding: buffer[0..<max(count, 0)], as: UTF8.self)
        XCTAssertTrue(text.hasPrefix("READY=1"), text)
        XCTAssertTrue(text.contains("port \(port)"), text)
        // It is really listening: a worker finishes the run.
        XCTAssertEqual(try harness.run(["worker", "--connect", "127.0.0.1:\(port)"]).status, 0)
        XCTAssertEqual(coordinator.wait(), 0)
    }
}
