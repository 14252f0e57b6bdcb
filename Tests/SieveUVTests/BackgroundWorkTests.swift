import XCTest
@testable import SieveUV
#if canImport(Glibc)
import Glibc
#endif

final class BackgroundWorkTests: LoopTestCase {
    func testWorkRunsOffTheLoopThreadAndCompletionOnIt() {
        var workThread: pthread_t?
        var completionOnLoop = false
        loop.runInBackground({ () -> pthread_t in
            pthread_self()
        }, completion: { [loop] thread in
            workThread = thread
            completionOnLoop = self.isOnLoopThread
            loop!.stop()
        })
        XCTAssertNil(workThread, "completion must not run inline")
        runLoop()
        let thread = try? XCTUnwrap(workThread, "completion never ran")
        if let thread { XCTAssertEqual(pthread_equal(thread, loopThread), 0, "work ran on the loop thread") }
        XCTAssertTrue(completionOnLoop, "completion ran off the loop thread")
    }

    func testHundredConcurrentJobsAllCompleteWithTheirOwnResults() {
        let jobs = 100
        var results: [Int] = []
        var offLoopThread = 0
        for job in 0..<jobs {
            loop.runInBackground({ () -> Int in
                usleep(1000)
                return job * job
            }, completion: { [loop] value in
                if !self.isOnLoopThread { offLoopThread += 1 }
                results.append(value)
                if results.count == jobs { loop!.stop() }
            })
        }
        runLoop()
        XCTAssertEqual(results.sorted(), (0..<jobs).map { $0 * $0 })
        XCTAssertEqual(offLoopThread, 0)
    }

    func testOptionalNilResultReachesTheCompletion() {
        var received: [String?] = []
        loop.runInBackground({ () -> String? in nil }, completion: { [loop] value in
            received.append(value)
            loop!.stop()
        })
        runLoop()
        XCTAssertEqual(received, [nil])
    }

    func testPendingWorkKeepsTheLoopRunningUntilItsCompletion() {
        var done = false
        loop.runInBackground({ usleep(20_000) }, completion: { done = true })
        // No deadline timer here: run() returns once the work and its completion are done.
        loop.run()
        XCTAssertTrue(done)
    }
}
