import Foundation
import XCTest
@testable import SieveUV

final class LoopWakeupTests: LoopTestCase {
    func testPostsFromFourThreadsAllRunOnTheLoopThreadInEachThreadsOrder() throws {
        let threads = 4, postsPerThread = 1000
        let wakeup = try LoopWakeup(loop: loop)
        let record = Record(threads: threads)
        let start = DispatchSemaphore(value: 0)
        for thread in 0..<threads {
            let onLoopThread: @Sendable () -> Bool = { [loopThread] in pthread_equal(pthread_self(), loopThread) != 0 }
            let loop = UncheckedLoop(loop: loop)
            Thread.detachNewThread {
                start.wait()
                for index in 0..<postsPerThread {
                    wakeup.post {
                        // Runs on the loop thread only, so `record` needs no lock.
                        if !onLoopThread() { record.offLoopThread += 1 }
                        record.seen[thread].append(index)
                        record.total += 1
                        if record.total == threads * postsPerThread { loop.loop.stop() }
                    }
                }
            }
        }
        for _ in 0..<threads { start.signal() }
        runLoop()
        XCTAssertEqual(record.total, threads * postsPerThread)
        XCTAssertEqual(record.offLoopThread, 0, "closures that ran off the loop thread")
        for thread in 0..<threads {
            XCTAssertEqual(record.seen[thread], Array(0..<postsPerThread), "thread \(thread) posts out of order or missing")
        }
        wakeup.close()
    }

    func testPostBeforeTheLoopRunsIsDeliveredWhenItRuns() throws {
        let wakeup = try LoopWakeup(loop: loop)
        let ran = Ran()
        let loop = UncheckedLoop(loop: loop)
        wakeup.post { ran.values.append(1) }
        wakeup.post {
            ran.values.append(2)
            loop.loop.stop()
        }
        XCTAssertEqual(ran.values, [], "post must not run the closure inline")
        runLoop()
        XCTAssertEqual(ran.values, [1, 2])
        wakeup.close()
    }

    func testClosedWakeupLetsTheLoopEnd() throws {
        let wakeup = try LoopWakeup(loop: loop)
        wakeup.close()
        // Without the deadline timer nothing is left: run() returns on its own.
        loop.run()
        XCTAssertEqual(openHandleCount, 0)
    }
}

/// What the posted closures saw; touched only on the loop thread, and read after the loop stopped.
private final class Record: @unchecked Sendable {
    var seen: [[Int]]
    var total = 0
    var offLoopThread = 0

    init(threads: Int) { seen = Array(repeating: [], count: threads) }
}

/// What posted closures appended; `@unchecked Sendable` because the test's thread is the loop
/// thread: the closures run on it, inside `runLoop()`, and the test reads it before and after.
private final class Ran: @unchecked Sendable {
    var values: [Int] = []
}

/// Carries the loop into a posted closure; the closure runs on the loop thread.
private struct UncheckedLoop: @unchecked Sendable {
    let loop: EventLoop
}
