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
        loop.run()  // returns at once: nothing else is active
        watcher.close()
    }
}
