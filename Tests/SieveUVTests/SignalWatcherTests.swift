import XCTest
@testable import SieveUV
#if canImport(Glibc)
import Glibc
#endif

final class SignalWatcherTests: LoopTestCase {
    func testSignalArrivesAsACallbackOnTheLoopThread() throws {
        let watcher = try SignalWatcher(loop: loop)
        var received: [Int32] = []
        try watcher.start(signal: SIGUSR2) { [loop] signal in
            received.append(signal)
            XCTAssertTrue(self.isOnLoopThread)
            loop!.stop()
        }
        kill(getpid(), SIGUSR2)
        runLoop()
        XCTAssertEqual(received, [SIGUSR2])
        watcher.close()
    }

    func testUnreferencedWatcherDoesNotKeepTheLoopAlive() throws {
        let watcher = try SignalWatcher(loop: loop)
        try watcher.start(signal: SIGUSR2) { _ in }
        watcher.unreference()
        // Returns at once: nothing else is active. (A time-out, so that a watcher that keeps
        // the loop alive fails this test instead of hanging the suite.)
        runLoopUntilItEnds(withinMillis: 2000)
        watcher.close()
    }

    /// What the test above relies on: a loop kept alive fails `runLoopUntilItEnds`, it does not
    /// hang (here a referenced watcher, the regression the test above guards against).
    func testAReferencedWatcherKeepsTheLoopAliveAndTheTimeOutSaysSo() throws {
        let watcher = try SignalWatcher(loop: loop)
        try watcher.start(signal: SIGUSR2) { _ in }
        XCTAssertFalse(runLoopUntilItEnds(withinMillis: 100, failing: false))
        watcher.close()
    }
}
