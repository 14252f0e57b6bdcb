import XCTest
@testable import SieveUV

final class LoopTimerTests: LoopTestCase {
    func testRepeatingTimerFiresUntilStopped() throws {
        let timer = try LoopTimer(loop: loop)
        var fired = 0
        var times: [UInt64] = []
        timer.start(timeoutMillis: 5, repeatMillis: 5) { [loop] in
            fired += 1
            times.append(loop!.nowMillis)
            XCTAssertTrue(self.isOnLoopThread)
            if fired == 5 { timer.stop() }
        }
        stopLoop(afterMillis: 120)
        runLoop()
        XCTAssertEqual(fired, 5, "fired after stop() or too few times")
        XCTAssertEqual(times, times.sorted())
        timer.close()
    }

    func testOneShotTimerFiresOnceAfterItsTimeout() throws {
        let timer = try LoopTimer(loop: loop)
        let started = loop.nowMillis
        var firedAt: [UInt64] = []
        timer.start(timeoutMillis: 20) { [loop] in firedAt.append(loop!.nowMillis) }
        stopLoop(afterMillis: 80)
        runLoop()
        XCTAssertEqual(firedAt.count, 1)
        XCTAssertGreaterThanOrEqual((firedAt.first ?? 0) &- started, 20)
        timer.close()
    }

    func testClosedTimerNeverFiresAgainAndLetsTheLoopEnd() throws {
        let timer = try LoopTimer(loop: loop)
        var fired = 0
        timer.start(timeoutMillis: 1, repeatMillis: 1) {
            fired += 1
            timer.close()
        }
        stopLoop(afterMillis: 50)
        runLoop()
        XCTAssertEqual(fired, 1)
        XCTAssertEqual(openHandleCount, 0)
    }

    func testRestartReplacesTheCallback() throws {
        let timer = try LoopTimer(loop: loop)
        var calls: [String] = []
        timer.start(timeoutMillis: 1) { calls.append("first") }
        timer.start(timeoutMillis: 5) { calls.append("second") }
        stopLoop(afterMillis: 40)
        runLoop()
        XCTAssertEqual(calls, ["second"])
        timer.close()
    }
}
