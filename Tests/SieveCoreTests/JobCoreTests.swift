import XCTest
@testable import SieveCore
import SievePolicy
import SieveWire

/// Selections and optimizer steps leave the loop thread as jobs: the core hands them out
/// (`.compute`) and goes on only with the result of the job it waits for.
final class JobCoreTests: XCTestCase {
    let fingerprint: UInt64 = 0xfeed_beef

    func core(offloads: Bool, epochs: Int = 1) -> CoordinatorCore {
        let configuration = RunConfiguration(method: .random, parameters: MethodParameters(budget: 3, seed: 7), epochs: epochs,
                                             expectWorkers: 1, shardRows: 4, dataPath: "/data", runID: "r1")
        var core = CoordinatorCore(configuration: configuration, shape: PoolShape(rows: 20, validationRows: 0, dimension: 2, fingerprint: fingerprint))
        core.offloadsJobs = offloads
        return core
    }

    func join(_ core: inout CoordinatorCore) -> [CoordinatorDirective] {
        _ = core.handle(.connected(1, peer: "peer1"))
        _ = core.handle(.received(1, .hello(Hello(workerName: "w1", productVersion: "t", slots: 1, dataPath: "")), requestID: 1))
        return core.handle(.received(1, .ready(Ready(fingerprint: fingerprint, rows: 20, dimension: 2)), requestID: 0))
    }

    func written(_ directives: [CoordinatorDirective]) -> EpochResult? {
        directives.lazy.compactMap { if case let .writeEpoch(result) = $0 { return result }; return nil }.first
    }

    func jobs(_ directives: [CoordinatorDirective]) -> [CoreJob] {
        directives.compactMap { if case let .compute(job) = $0 { return job }; return nil }
    }

    func testTheSelectionIsAJobAndOnlyItsOwnResultCounts() throws {
        var inline = core(offloads: false)
        let expected = try XCTUnwrap(written(join(&inline)))

        var offloaded = core(offloads: true)
        let joined = join(&offloaded)
        XCTAssertNil(written(joined), "nothing is selected on the loop thread")
        let job = try XCTUnwrap(jobs(joined).first)
        let result = job.run()
        XCTAssertTrue(offloaded.handle(.computed(id: job.id + 1, result)).isEmpty, "a result of another job is ignored")
        let after = try XCTUnwrap(written(offloaded.handle(.computed(id: job.id, result))))
        XCTAssertEqual(after.curriculum.map(\.row), expected.curriculum.map(\.row))
        XCTAssertTrue(offloaded.handle(.computed(id: job.id, result)).isEmpty, "and the same result twice counts once")
    }

    /// A SIGTERM while the selection runs stops the run once the job is back, not before.
    func testDrainWaitsForTheJobInFlight() throws {
        var core = core(offloads: true)
        let job = try XCTUnwrap(jobs(join(&core)).first)
        let drained = core.drain()
        XCTAssertFalse(drained.contains { if case .finish = $0 { return true }; return false }, "\(drained)")
        XCTAssertNotNil(written(core.handle(.computed(id: job.id, job.run()))))
    }

    /// An optimizer step as a job gives the weights the inline step gives.
    func testTheOptimizerStepIsAJobWithTheInlineResult() {
        var state = TrainingState(parameters: [1, 2, 3], optimizer: AdamW(parameterCount: 3, learningRate: 0.1))
        state.batches = [[0, 1]]
        state.results = [[2, 4, 6, 1, 1], [0, 0, 2, 0, 1]]
        let outcome = OptimizerJob(state: state, step: 0).run()
        var expected = state.parameters
        var optimizer = state.optimizer
        optimizer.ascend(parameters: &expected, direction: [1, 2, 4])
        XCTAssertEqual(outcome.state.parameters, expected)
        XCTAssertEqual(outcome.state.rewardSum, 1)
        XCTAssertEqual(outcome.state.rewardCount, 2)
    }
}
