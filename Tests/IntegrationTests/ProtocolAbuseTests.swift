import Foundation
import XCTest
import SieveWire

/// Peers that send garbage get an error frame and are disconnected; the coordinator keeps
/// serving the real workers and the run completes.
final class ProtocolAbuseTests: XCTestCase {
    func firstMessage(_ bytes: [UInt8]) throws -> Message {
        var decoder = FrameDecoder()
        decoder.append(bytes)
        guard let frame = try decoder.next() else { throw NSError(domain: "no frame", code: 0) }
        return try Message.decode(frame)
    }

    func testGarbageOversizedAndUnknownFramesCloseOnlyThatPeer() throws {
        let harness = try Harness("abuse")
        let pool = harness.path("pool")
        XCTAssertEqual(try harness.run(["generate", "--out", pool, "--rows", "500", "--dim", "8"]).status, 0)
        let port = Harness.freePort()
        let coordinator = try harness.start(["coordinator", "--listen", "127.0.0.1:\(port)", "--data", pool,
                                             "--budget", "20", "--expect-workers", "1", "--out", harness.path("out")])
        let abuses: [(String, [UInt8])] = [
            ("garbage", Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8)),
            ("4 GiB length", [0xFF, 0xFF, 0xFF, 0xFF, 0x47, 0x53, Wire.protocolVersion, 0x01]),
            ("unknown type", [0, 0, 0, 8, 0x47, 0x53, Wire.protocolVersion, 99, 0, 0, 0, 1]),
            ("short hello", [0, 0, 0, 10, 0x47, 0x53, Wire.protocolVersion, 0x01, 0, 0, 0, 1, 0, 0]),
        ]
        for (name, bytes) in abuses {
            let peer = try RawPeer(port: port)
            peer.send(bytes)
            let reply = peer.readToEnd()
            guard case let .error(error) = try firstMessage(reply) else { return XCTFail("\(name): no error frame") }
            XCTAssertFalse(error.message.isEmpty, name)
        }
        // A peer speaking another protocol version (here the former one, 1) is rejected with a reason.
        let future = try RawPeer(port: port)
        var hello = Message.hello(Hello(workerName: "former", productVersion: "0.1", slots: 1, dataPath: "")).frame(requestID: 1)
        hello.version = 1
        future.send(hello.encoded())
        guard case let .reject(reject) = try firstMessage(future.readToEnd()) else { return XCTFail("no reject") }
        XCTAssertEqual(reject.code, RejectCode.unsupportedProtocolVersion.rawValue)
        XCTAssertTrue(reject.reason.contains("version"), reject.reason)
        // The coordinator still serves a real worker to the end.
        let worker = harness.finish(try harness.start(["worker", "--connect", "127.0.0.1:\(port)"]))
        let result = harness.finish(coordinator)
        XCTAssertEqual(worker.status, 0, worker.stderr)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(harness.exists("out/epoch-0001/curriculum.jsonl"))
    }

    func testWorkerRefusedForDifferentDataExitsNonZeroSayingWhy() throws {
        let harness = try Harness("mismatch")
        let pool = harness.path("pool"), other = harness.path("other")
        XCTAssertEqual(try harness.run(["generate", "--out", pool, "--rows", "200", "--dim", "8"]).status, 0)
        XCTAssertEqual(try harness.run(["generate", "--out", other, "--rows", "200", "--dim", "8", "--seed", "2"]).status, 0)
        let port = Harness.freePort()
        let coordinator = try harness.start(["coordinator", "--listen", "127.0.0.1:\(port)", "--data", pool,
                                             "--budget", "20", "--expect-workers", "1", "--out", harness.path("out")])
        let stranger = harness.finish(try harness.start(["worker", "--connect", "127.0.0.1:\(port)", "--data", other]))
        XCTAssertNotEqual(stranger.status, 0)
        XCTAssertTrue(stranger.stderr.contains("differs"), stranger.stderr)
        let worker = harness.finish(try harness.start(["worker", "--connect", "127.0.0.1:\(port)", "--data", pool]))
        XCTAssertEqual(worker.status, 0, worker.stderr)
        XCTAssertEqual(harness.finish(coordinator).status, 0)
    }
}
