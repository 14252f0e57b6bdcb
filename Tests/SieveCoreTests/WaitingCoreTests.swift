import XCTest
@testable import SieveCore
import SieveWire

/// Waiting, as rules of the core: a resumed run with every epoch journaled ends on its first
/// tick; a coordinator that waits says so every `waitNoticeMillis` and gives up after
/// `joinTimeoutMillis`; follow mode runs until the trainer is done.
final class WaitingCoreTests: XCTestCase {
    let fingerprint: UInt64 = 0xfeed_beef

    func configuration(epochs: Int = 1, follow: Bool = false, joinTimeout: UInt64? = nil) -> RunConfiguration {
        var configuration = RunConfiguration(method: .random, parameters: MethodParameters(budget: 2), epochs: epochs, expectWorkers: 2,
                                             shardRows: 4, dataPath: "/data", runID: "r1")
        configuration.follow = follow
        configuration.joinTimeoutMillis = joinTimeout
        return configuration
    }

    var shape: PoolShape { PoolShape(rows: 10, validationRows: 0, dimension: 2, fingerprint: fingerprint) }

    func logs(_ directives: [CoordinatorDirective]) -> [String] {
        directives.compactMap { if case let .log(_, text) = $0 { return text }; return nil }
    }

    func outcome(_ directives: [CoordinatorDirective]) -> RunOutcome? {
        directives.lazy.compactMap { if case let .finish(outcome) = $0 { return outcome }; return nil }.first
    }

    func join(_ core: inout CoordinatorCore, _ id: ConnectionID) -> [CoordinatorDirective] {
        _ = core.handle(.connected(id, peer: "peer\(id)"))
        _ = core.handle(.received(id, .hello(Hello(workerName: "w\(id)", productVersion: "t", slots: 1, dataPath: "")), requestID: 1))
        return core.handle(.received(id, .ready(Ready(fingerprint: fingerprint, rows: 10, dimension: 2)), requestID: 0))
    }

    func testAResumedRunWithEveryEpochJournaledEndsOnItsFirstTick() {
        var core = CoordinatorCore(configuration: configuration(epochs: 2), shape: shape)
        core.restore([.epochWritten(EpochRecord(epoch: 1, selected: 2, referenceNorm: nil), nextMu: 0),
                      .epochWritten(EpochRecord(epoch: 2, selected: 2, referenceNorm: nil), nextMu: 0)])
        let first = core.handle(.tick(nowMillis: 5))
        guard case let .success(summary)? = outcome(first) else { return XCTFail("\(first)") }
        XCTAssertEqual(summary.epochs.map(\.epoch), [1, 2])
        XCTAssertTrue(logs(first).contains { $0.contains("already complete") }, "\(first)")
        XCTAssertTrue(core.isFinished)
    }

    func testAResumedRunWithAnEpochLeftWaitsForItsWorkers() {
        var core = CoordinatorCore(configuration: configuration(epochs: 2), shape: shape)
        core.restore([.epochWritten(EpochRecord(epoch: 1, selected: 2, referenceNorm: nil), nextMu: 0)])
        XCTAssertNil(outcome(core.handle(.tick(nowMillis: 5))))
        XCTAssertFalse(core.isFinished)
    }

    func testWaitingForWorkersIsSaidEveryNoticeInterval() {
        var core = CoordinatorCore(configuration: configuration(), shape: shape)
        _ = core.handle(.tick(nowMillis: 1_000))
        XCTAssertTrue(logs(core.handle(.tick(nowMillis: 10_999))).isEmpty)
        _ = join(&core, 1)
        let notice = logs(core.handle(.tick(nowMillis: 11_000)))
        XCTAssertEqual(notice, ["still waiting for workers: 1 of 2 joined after 10 s"])
        XCTAssertTrue(logs(core.handle(.tick(nowMillis: 20_000))).isEmpty)
        XCTAssertEqual(logs(core.handle(.tick(nowMillis: 21_000))).filter { $0.hasPrefix("still waiting for workers") }.count, 1)
    }

    func testJoinTimeoutFailsTheRunNamingWhatJoined() {
        var core = CoordinatorCore(configuration: configuration(joinTimeout: 3_000), shape: shape)
        _ = core.handle(.tick(nowMillis: 100))
        _ = join(&core, 1)
        XCTAssertNil(outcome(core.handle(.tick(nowMillis: 3_099))))
        let late = core.handle(.tick(nowMillis: 3_100))
        XCTAssertEqual(outcome(late), .failure("only 1 of 2 worker(s) joined within the join timeout (3 s, --join-timeout)"))
        // The worker that joined is told why.
        XCTAssertTrue(late.contains { if case let .send(1, .done(done), _) = $0 { return done.status == Done.failed }; return false }, "\(late)")
    }

    func testNoJoinTimeoutOnceTheWorkersJoined() {
        var core = CoordinatorCore(configuration: configuration(joinTimeout: 3_000), shape: shape)
        _ = core.handle(.tick(nowMillis: 0))
        _ = join(&core, 1)
        _ = join(&core, 2)
        XCTAssertNil(outcome(core.handle(.tick(nowMillis: 60_000))))
    }

    /// Follow mode: epochs start as their data arrives, with no end but the trainer's DONE.
    func testFollowRunsEpochAfterEpochUntilTheTrainerIsDone() {
        var core = CoordinatorCore(configuration: configuration(epochs: Int.max, follow: true), shape: shape)
        _ = core.handle(.tick(nowMillis: 0))
        _ = join(&core, 1)
        let started = join(&core, 2)
        XCTAssertEqual(core.awaitedEpoch, 1, "\(started)")
        for epoch in 1...3 {
            let arrived = core.handle(.dataArrived(epoch: epoch, shape: shape))
            guard let result = arrived.lazy.compactMap({ if case let .writeEpoch(r) = $0 { return r }; return nil }).first else {
                return XCTFail("epoch \(epoch): \(arrived)")
            }
            XCTAssertEqual(result.curriculum.count, 2)
            let written = core.handle(.epochWritten(epoch: epoch, error: nil))
            XCTAssertNil(outcome(written))
            XCTAssertEqual(core.awaitedEpoch, epoch + 1)
        }
        let notice = logs(core.handle(.tick(nowMillis: 10_000)))
        XCTAssertEqual(notice, ["still waiting for the trainer's data of epoch 4 (DATA/epochs/0004/COMPLETE) after 10 s"])
        let done = core.handle(.trainerDone)
        guard case let .success(summary)? = outcome(done) else { return XCTFail("\(done)") }
        XCTAssertEqual(summary.epochs.map(\.epoch), [1, 2, 3])
        XCTAssertTrue(logs(done).contains("the trainer is done (DATA/epochs/DONE) after epoch 3"))
    }

    /// DONE while an epoch is under way: that epoch finishes, and the run ends instead of
    /// waiting for the next.
    func testTrainerDoneDuringAnEpochEndsAfterIt() {
        var core = CoordinatorCore(configuration: configuration(epochs: Int.max, follow: true), shape: shape)
        _ = core.handle(.tick(nowMillis: 0))
        _ = join(&core, 1)
        _ = join(&core, 2)
        _ = core.handle(.dataArrived(epoch: 1, shape: shape))
        XCTAssertNil(outcome(core.handle(.trainerDone)))
        let written = core.handle(.epochWritten(epoch: 1, error: nil))
        guard case let .success(summary)? = outcome(written) else { return XCTFail("\(written)") }
        XCTAssertEqual(summary.epochs.map(\.epoch), [1])
    }

    /// Follow mode with --epochs ends after them, DONE or not.
    func testFollowWithEpochsEndsAfterThem() {
        var core = CoordinatorCore(configuration: configuration(epochs: 1, follow: true), shape: shape)
        _ = join(&core, 1)
        _ = join(&core, 2)
        _ = core.handle(.dataArrived(epoch: 1, shape: shape))
        guard case .success? = outcome(core.handle(.epochWritten(epoch: 1, error: nil))) else { return XCTFail() }
    }
}
