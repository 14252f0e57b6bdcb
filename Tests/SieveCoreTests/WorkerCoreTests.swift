import XCTest
@testable import SieveCore
import SieveWire

final class WorkerCoreTests: XCTestCase {
    let welcome = Welcome(workerID: 3, heartbeatMillis: 250, runID: "r", dataPath: "/coordinator/data",
                          fingerprint: 42, method: "gradalign", shardRows: 8, validationShardRows: 8)

    func readyWorker(ownData: String? = nil) -> WorkerCore {
        var core = WorkerCore(name: "w", slots: 2, ownDataPath: ownData)
        _ = core.handle(.connected)
        _ = core.handle(.received(.welcome(welcome), requestID: 1))
        _ = core.handle(.dataOpened(.success(OpenedData(fingerprint: 42, rows: 10, dimension: 4))))
        return core
    }

    func testHelloCarriesSlotsAndOwnDataPathThenOpensTheRightPath() {
        var core = WorkerCore(name: "w", slots: 3, ownDataPath: "/mine")
        guard case let .send(.hello(hello), _)? = core.handle(.connected).first else { return XCTFail("no hello") }
        XCTAssertEqual(hello.slots, 3)
        XCTAssertEqual(hello.dataPath, "/mine")
        let out = core.handle(.received(.welcome(welcome), requestID: 1))
        XCTAssertTrue(out.contains { if case .openData("/mine") = $0 { return true }; return false })
        XCTAssertTrue(out.contains { if case .startHeartbeat(250) = $0 { return true }; return false })
    }

    func testWithoutOwnDataTheCoordinatorsPathIsOpened() {
        var core = WorkerCore(name: "w", slots: 1, ownDataPath: nil)
        _ = core.handle(.connected)
        let out = core.handle(.received(.welcome(welcome), requestID: 1))
        XCTAssertTrue(out.contains { if case .openData("/coordinator/data") = $0 { return true }; return false })
    }

    func testScoreAssignmentWaitsForItsReference() {
        var core = readyWorker()
        let assignment = Assignment(epoch: 1, phase: .score, shard: 0, attempt: 1, rowStart: 0, rowCount: 8)
        let early = core.handle(.received(.assign(assignment), requestID: 9))
        XCTAssertTrue(early.contains { if case .exit(1, _) = $0 { return true }; return false })

        var ordered = readyWorker()
        _ = ordered.handle(.received(.reference(Reference(epoch: 1, vector: [3, 4, 0, 0])), requestID: 0))
        guard case let .compute(task)? = ordered.handle(.received(.assign(assignment), requestID: 9)).first else { return XCTFail("no compute") }
        XCTAssertEqual(task.reference?.norm, 5)
        XCTAssertEqual(task.requestID, 9)
        let reply = ordered.handle(.computed(task, .scores(columns: ["score"], values: Array(repeating: 0.5, count: 8))))
        guard case let .send(.scores(scores), 9)? = reply.first else { return XCTFail("no scores sent") }
        XCTAssertEqual(scores.attempt, 1)
    }

    func testHeartbeatsFlowWhileComputing() {
        var core = readyWorker()
        _ = core.handle(.received(.assign(Assignment(epoch: 1, phase: .validationSum, shard: 0, attempt: 1, rowStart: 0, rowCount: 8)), requestID: 2))
        guard case let .send(.heartbeat(beat), _)? = core.handle(.tick).first else { return XCTFail("no heartbeat") }
        XCTAssertEqual(beat.shardsInFlight, 1)
    }

    func testDoneExitsZeroRejectExitsNonZeroAndALostCoordinatorIsRejoined() {
        var done = readyWorker()
        XCTAssertTrue(done.handle(.received(.done(Done(status: Done.success, message: "ok")), requestID: 0)).contains { if case .exit(0, _) = $0 { return true }; return false })
        XCTAssertTrue(done.handle(.disconnected(nil)).isEmpty)

        var rejected = WorkerCore(name: "w", slots: 1, ownDataPath: nil)
        _ = rejected.handle(.connected)
        let out = rejected.handle(.received(.reject(Reject(code: 4, reason: "data differs")), requestID: 0))
        XCTAssertTrue(out.contains { if case let .exit(1, message) = $0 { return message.contains("data differs") }; return false })

        var lost = readyWorker()
        XCTAssertTrue(lost.handle(.disconnected("reset")).contains { if case .reconnect = $0 { return true }; return false })
        XCTAssertEqual(lost.state, .connecting)
        guard case .send(.hello, _)? = lost.handle(.connected).first else { return XCTFail("no hello after reconnecting") }
    }

    func testMismatchedDataIsReportedForTheCoordinatorToDecide() {
        var core = WorkerCore(name: "w", slots: 1, ownDataPath: nil)
        _ = core.handle(.connected)
        _ = core.handle(.received(.welcome(welcome), requestID: 1))
        let out = core.handle(.dataOpened(.success(OpenedData(fingerprint: 7, rows: 10, dimension: 4))))
        XCTAssertTrue(out.contains { if case let .send(.ready(ready), _) = $0 { return ready.fingerprint == 7 }; return false })
        XCTAssertNotEqual(core.state, .ready)
    }

    /// The reconnect back-off is a rule of the core, not of the service: 200, 400, 800, 1600,
    /// then 2000 ms, and nothing once the deadline has passed.
    func testReconnectBackOffDoublesToTwoSecondsAndStopsAtTheDeadline() {
        let policy = ReconnectPolicy(deadlineMillis: 5000)
        XCTAssertEqual((1...7).map { policy.delay(afterAttempt: $0, waitedMillis: 0) }, [200, 400, 800, 1600, 2000, 2000, 2000])
        XCTAssertNil(policy.delay(afterAttempt: 3, waitedMillis: 5000))
        XCTAssertEqual(policy.delay(afterAttempt: 3, waitedMillis: 4999), 800)
        XCTAssertEqual(WorkerCore(name: "w", slots: 1, ownDataPath: nil).reconnect, ReconnectPolicy(deadlineMillis: 30_000))
    }
}
