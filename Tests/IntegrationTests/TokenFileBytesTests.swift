import Foundation
import XCTest

/// docs/protocol.md 4.17: the HMAC key is the token file's bytes with leading and trailing tab,
/// line feed, carriage return and space removed, not decoded. Files that differ only in those
/// bytes are the same token; any other byte (a form feed, a no-break space) is part of the key.
final class TokenFileBytesTests: XCTestCase {
    func testOnlyTabLineFeedCarriageReturnAndSpaceAreTrimmed() throws {
        let harness = try Harness("token-bytes")
        let pool = harness.path("pool")
        XCTAssertEqual(try harness.run(["generate", "--out", pool, "--rows", "200", "--dim", "4"]).status, 0)
        func write(_ bytes: [UInt8], _ name: String) throws -> String {
            let path = harness.path(name)
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            return path
        }
        let secret = Array("s3cret".utf8)
        let coordinatorToken = try write([0x09, 0x20] + secret + [0x20, 0x0D, 0x0A, 0x0A], "coordinator-token")
        let formFeed = try write([0x0C] + secret, "form-feed")
        let noBreakSpace = try write(secret + [0xC2, 0xA0], "no-break-space")
        let inner = try write(Array("s3 cret".utf8), "inner-space")
        let plain = try write(secret, "plain")

        let port = Harness.freePort()
        let coordinator = try WatchedProcess(["coordinator", "--listen", "0.0.0.0:\(port)", "--data", pool, "--budget", "10",
                                              "--expect-workers", "1", "--token-file", coordinatorToken,
                                              "--out", harness.path("out")])
        for refused in [formFeed, noBreakSpace, inner] {
            let worker = try harness.run(["worker", "--connect", "127.0.0.1:\(port)", "--token-file", refused])
            XCTAssertNotEqual(worker.status, 0, "\(refused) should be another token")
            XCTAssertTrue(worker.stderr.contains("token"), worker.stderr)
        }
        let worker = try harness.run(["worker", "--connect", "127.0.0.1:\(port)", "--token-file", plain])
        XCTAssertEqual(worker.status, 0, worker.stderr)
        XCTAssertEqual(coordinator.wait(), 0, coordinator.log)
        XCTAssertTrue(harness.exists("out/epoch-0001/curriculum.jsonl"))
    }

    func testATokenFileOfOnlyTrimmedBytesIsRefused() throws {
        let harness = try Harness("token-empty")
        let pool = harness.path("pool")
        XCTAssertEqual(try harness.run(["generate", "--out", pool, "--rows", "50", "--dim", "4"]).status, 0)
        let path = harness.path("blank")
        try Data([0x20, 0x09, 0x0D, 0x0A]).write(to: URL(fileURLWithPath: path))
        let result = try harness.run(["select", "--data", pool, "--budget", "5", "--workers", "1", "--token-file", path,
                                      "--out", harness.path("out")])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.stderr.contains("is empty"), result.stderr)
    }
}
