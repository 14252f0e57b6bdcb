import Foundation
import XCTest

/// The test harness itself: a child that writes much to stderr before it ends its stdout must
/// not deadlock `Harness.finish` (reading stdout to its end first did: the child blocked on
/// its full stderr pipe, and stdout never ended).
final class HarnessTests: XCTestCase {
    func testFinishReadsAChildThatFillsItsStderrPipeBeforeItsStdoutEnds() throws {
        let harness = try Harness("stderr-fill")
        // 5,000 lines of 64 bytes: 320,000 bytes, five times a Linux pipe's 64 KiB.
        let script = "i=0; while [ $i -lt 5000 ]; do echo " + String(repeating: "x", count: 63)
            + " >&2; i=$((i+1)); done; echo out"
        let started = try harness.start(executable: "/bin/sh", ["-c", script])
        let finished = Finished()
        Thread.detachNewThread { finished.set(harness.finish(started)) }
        if !finished.wait(seconds: 30) {
            // The old harness: unblock it, then fail rather than hang.
            started.0.terminate()
            XCTFail("Harness.finish was still waiting after 30 s")
            _ = finished.wait(seconds: 30)
            return
        }
        let result = try XCTUnwrap(finished.result)
        XCTAssertEqual(result.status, 0)
        XCTAssertEqual(result.stdout, "out\n")
        XCTAssertEqual(result.stderr.utf8.count, 5000 * 64)
    }

    /// A child that hangs fails the test that waits for it, after the time-out, instead of
    /// hanging the suite.
    func testAHangingChildIsKilledAfterTheTimeOut() throws {
        let harness = try Harness("hang")
        let started = Date()
        let result = harness.finish(try harness.start(executable: "/bin/sleep", ["60"]), timeout: 1)
        XCTAssertLessThan(Date().timeIntervalSince(started), 30)
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.stderr.contains("[harness] killed: still running after 1.0 s"), result.stderr)
    }
}

/// A result handed from the thread that called `finish`; written before the signal, read after.
private final class Finished: @unchecked Sendable {
    private(set) var result: Harness.Result?
    private let done = DispatchSemaphore(value: 0)

    func set(_ result: Harness.Result) {
        self.result = result
        done.signal()
    }

    func wait(seconds: Double) -> Bool {
        done.wait(timeout: .now() + seconds) == .success
    }
}
