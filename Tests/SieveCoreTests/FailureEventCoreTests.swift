import XCTest
@testable import SieveCore
import SieveWire

/// Every failure the shell meets while carrying out directives comes back to the core, which
/// ends the run as a failure with the reason and tells the workers why.
final class FailureEventCoreTests: XCTestCase {
    func makeCore(diversity: Bool = false) -> CoordinatorCore {
        let parameters = MethodParameters(budget: 2, diversity: diversity, poolFactor: 2, partitions: 2)
        let configuration = RunConfiguration(method: .random, parameters: parameters, epochs: 2, expectWorkers: 1, shardRows: 4,
                                             dataPath: "/d", runID: "f")
        return CoordinatorCore(configuration: configuration, shape: PoolShape(rows: 8, validationRows: 0, dimension: 2, fingerprint: 3))
    }

    func join(_ core: inout CoordinatorCore) -> [CoordinatorDirective] {
        _ = core.handle(.connected(1, peer: "p1"))
        _ = core.handle(.received(1, .hello(Hello(workerName: "w1", productVersion: "t", slots: 4, dataPath: "")), requestID: 1))
        return core.handle(.received(1, .ready(Ready(fingerprint: 3, rows: 8, dimension: 2)), requestID: 0))
    }

    func failure(_ directives: [CoordinatorDirective]) -> String? {
        directives.lazy.compactMap { if case let .finish(.failure(reason)) = $0 { return reason }; return nil }.first
    }

    func toldTheWorker(_ directives: [CoordinatorDirective]) -> Bool {
        directives.contains { if case let .send(1, .done(done), _) = $0 { return done.status == Done.failed }; return false }
    }

    func testAFailedEpochWriteFailsTheRun() {
        var core = makeCore()
        XCTAssertTrue(join(&core).contains { if case .writeEpoch = $0 { return true }; return false })
        let out = core.handle(.epochWritten(epoch: 1, error: "OUT/epoch-0001: No space left on device"))
        XCTAssertEqual(failure(out), "could not write epoch 1: OUT/epoch-0001: No space left on device")
        XCTAssertTrue(toldTheWorker(out))
        XCTAssertFalse(out.contains { if case .journal(.epochWritten) = $0 { return true }; return false }, "an unwritten epoch is not journaled")
        XCTAssertTrue(core.isFinished)
    }

    func testAFailedFinalGreedyFailsTheRun() throws {
        var core = makeCore(diversity: true)
        var request: FinalGreedyRequest?
        for case let .send(_, .assignPart(part), _) in join(&core) {
            let out = core.handle(.received(1, .partPicks(PartPicks(epoch: 1, part: part.part, attempt: part.attempt,
                                                                     picks: Array(part.rows.prefix(2)), value: 1)), requestID: 0))
            for case let .finalGreedy(asked) in out { request = asked }
        }
        let asked = try XCTUnwrap(request)
        let out = core.handle(.finalGreedyDone(epoch: asked.epoch, result: .failure(WorkerFailure("facility location needs the grad tensor"))))
        XCTAssertEqual(failure(out), "facility location failed: facility location needs the grad tensor")
        XCTAssertTrue(toldTheWorker(out))
    }

    /// The shell's own failure mid-run (a followed epoch's data that does not open, every local
    /// worker gone): an abort ends the run, telling the workers.
    func testAnAbortMidRunFailsTheRunAndTellsTheWorkers() {
        var core = makeCore()
        _ = join(&core)
        let out = core.abort("epoch 2 data: signals/part-0000.safetensors: header is not JSON")
        XCTAssertEqual(failure(out), "epoch 2 data: signals/part-0000.safetensors: header is not JSON")
        XCTAssertTrue(toldTheWorker(out))
        XCTAssertTrue(core.abort("again").isEmpty == false, "after the run, an abort still reports the failure")
    }

    /// A stale report (an epoch that is not being written) changes nothing.
    func testAWriteReportForAnotherEpochIsIgnored() {
        var core = makeCore()
        _ = join(&core)
        XCTAssertTrue(core.handle(.epochWritten(epoch: 7, error: "late")).isEmpty)
        XCTAssertFalse(core.isFinished)
    }
}
