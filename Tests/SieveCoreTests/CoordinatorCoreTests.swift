import XCTest
@testable import SieveCore
import SieveWire

/// The coordinator's rules, driven event by event with no sockets and no clock.
final class CoordinatorCoreTests: XCTestCase {
    let fingerprint: UInt64 = 0xfeed_beef

    func makeCore(rows: Int = 10, validationRows: Int = 3, dimension: Int = 2, budget: Int = 3,
                  expect: Int = 1, shardRows: Int = 4) -> CoordinatorCore {
        let configuration = RunConfiguration(method: .gradalign, parameters: MethodParameters(budget: budget), expectWorkers: expect, shardRows: shardRows,
                                             validationShardRows: 2, dataPath: "/data", runID: "r1",
                                             workerTimeoutMillis: 5000, handshakeTimeoutMillis: 1000)
        return CoordinatorCore(configuration: configuration,
                               shape: PoolShape(rows: rows, validationRows: validationRows, dimension: dimension, fingerprint: fingerprint))
    }

    /// Brings connection `id` through hello and ready; returns the directives of the ready step.
    @discardableResult
    func join(_ core: inout CoordinatorCore, _ id: ConnectionID, slots: UInt16 = 1, rows: UInt64 = 10) -> [CoordinatorDirective] {
        _ = core.handle(.connected(id, peer: "peer\(id)"))
        let welcome = core.handle(.received(id, .hello(Hello(workerName: "w\(id)", productVersion: "t", slots: slots, dataPath: "")), requestID: 7))
        XCTAssertTrue(welcome.contains { if case .send(id, .welcome(let w), 7) = $0 { return w.fingerprint == fingerprint }; return false })
        return core.handle(.received(id, .ready(Ready(fingerprint: fingerprint, rows: rows, dimension: 2)), requestID: 0))
    }

    func assignments(_ directives: [CoordinatorDirective]) -> [(ConnectionID, Assignment)] {
        directives.compactMap { if case let .send(id, .assign(a), _) = $0 { return (id, a) }; return nil }
    }

    func sends(_ directives: [CoordinatorDirective], to target: ConnectionID) -> [Message] {
        directives.compactMap { if case let .send(id, message, _) = $0, id == target { return message }; return nil }
    }

    func testEpochStartsOnlyOnceExpectedWorkersJoined() {
        var core = makeCore(expect: 2)
        XCTAssertTrue(assignments(join(&core, 1)).isEmpty)
        let second = join(&core, 2)
        XCTAssertEqual(assignments(second).map { $0.1.phase }, [.validationSum, .validationSum])
        XCTAssertEqual(Set(assignments(second).map { $0.0 }), [1, 2])
    }

    func testFullEpochRanksGloballyAndTiesGoToTheLowerRow() {
        var core = makeCore()
        var pending = assignments(join(&core, 1, slots: 8))
        XCTAssertEqual(pending.map { $0.1.shard }, [0, 1])   // 3 validation rows, 2 per shard
        // Validation sums: shard 0 -> (1, 0), shard 1 -> (0, 1).
        var directives: [CoordinatorDirective] = []
        for (_, a) in pending {
            let sum: [Double] = a.shard == 0 ? [1, 0] : [0, 1]
            directives += core.handle(.received(1, .partialSum(PartialSum(epoch: 1, shard: a.shard, attempt: a.attempt, rowCount: UInt64(a.rowCount), sum: sum)), requestID: 0))
        }
        let reference = sends(directives, to: 1).compactMap { if case let .reference(r) = $0 { return r }; return nil }
        XCTAssertEqual(reference.first?.vector, [1, 1])
        pending = assignments(directives)
        XCTAssertEqual(pending.map { $0.1.shard }, [0, 1, 2])   // 10 rows, 4 per shard
        let scores: [Double] = [0.1, 0.9, 0.5, 0.9, 0.2, 0.7, 0.0, 0.7, 0.3, 0.9]
        var written: EpochResult?
        for (_, a) in pending.reversed() {
            let rows = Int(a.rowStart)..<Int(a.rowStart) + Int(a.rowCount)
            let values = rows.flatMap { [scores[$0], scores[$0], 1.0] }
            let out = core.handle(.received(1, .scores(ShardScores(epoch: 1, shard: a.shard, attempt: a.attempt, rowStart: a.rowStart, rowCount: a.rowCount, columns: ["score", "cosine", "grad_norm"], values: values)), requestID: 0))
            for case let .writeEpoch(result) in out { written = result }
        }
        XCTAssertEqual(written?.curriculum.map { $0.row }, [1, 3, 9])
        let finish = core.handle(.epochWritten(epoch: 1, error: nil))
        XCTAssertTrue(sends(finish, to: 1).contains { if case let .curriculum(c) = $0 { return c.rows == [1, 3, 9] }; return false })
        XCTAssertTrue(sends(finish, to: 1).contains { if case let .done(d) = $0 { return d.status == Done.success }; return false })
        XCTAssertTrue(finish.contains { if case .finish(.success) = $0 { return true }; return false })
    }

    func testStaleAttemptFromALostWorkerIsIgnored() {
        var core = makeCore(expect: 1)
        let first = assignments(join(&core, 1))
        XCTAssertEqual(first.count, 1)
        _ = core.handle(.disconnected(1))
        let rejoined = assignments(join(&core, 2))
        XCTAssertEqual(rejoined.first?.1.shard, 0)
        XCTAssertEqual(rejoined.first?.1.attempt, 1)
        // The old attempt's result, even arriving on the new connection, does not count.
        let stale = core.handle(.received(2, .partialSum(PartialSum(epoch: 1, shard: 0, attempt: 0, rowCount: 2, sum: [9, 9])), requestID: 0))
        XCTAssertTrue(assignments(stale).isEmpty)
        XCTAssertNil(core.partialSums[0])
    }

    func testSilentWorkerIsDeclaredLostAndItsShardReassigned() {
        var core = makeCore(expect: 1)
        _ = join(&core, 1)
        _ = join(&core, 2, slots: 2)
        _ = core.handle(.tick(nowMillis: 3000))
        _ = core.handle(.received(2, .heartbeat(Heartbeat(shardsInFlight: 0)), requestID: 0))
        let directives = core.handle(.tick(nowMillis: 6000))
        XCTAssertTrue(directives.contains { if case .close(1, _) = $0 { return true }; return false })
        XCTAssertEqual(assignments(directives).map { $0.0 }, [2])
    }

    func testDataMismatchIsRejectedWithAReason() {
        var core = makeCore()
        _ = core.handle(.connected(1, peer: "p"))
        _ = core.handle(.received(1, .hello(Hello(workerName: "w", productVersion: "t", slots: 1, dataPath: "")), requestID: 1))
        let out = core.handle(.received(1, .ready(Ready(fingerprint: 1, rows: 10, dimension: 2)), requestID: 0))
        let reject = sends(out, to: 1).compactMap { if case let .reject(r) = $0 { return r }; return nil }.first
        XCTAssertEqual(reject?.code, RejectCode.dataMismatch.rawValue)
        XCTAssertTrue(reject?.reason.contains("differs") ?? false)
        XCTAssertTrue(out.contains { if case .close(1, true) = $0 { return true }; return false })
    }

    /// A worker refused at ready (other data) did no work: its id goes to the next worker, so
    /// ids stay 1...n for the workers that joined.
    func testARefusedWorkerDoesNotUseUpAWorkerID() {
        var core = makeCore(expect: 2)
        _ = core.handle(.connected(1, peer: "p1"))
        _ = core.handle(.received(1, .hello(Hello(workerName: "bad", productVersion: "t", slots: 1, dataPath: "")), requestID: 1))
        _ = core.handle(.received(1, .ready(Ready(fingerprint: 1, rows: 10, dimension: 2)), requestID: 0))
        _ = core.handle(.connected(2, peer: "p2"))
        let welcome = core.handle(.received(2, .hello(Hello(workerName: "good", productVersion: "t", slots: 1, dataPath: "")), requestID: 1))
        let ids = sends(welcome, to: 2).compactMap { if case let .welcome(w) = $0 { return w.workerID }; return nil }
        XCTAssertEqual(ids, [1])
        _ = core.handle(.received(2, .ready(Ready(fingerprint: fingerprint, rows: 10, dimension: 2)), requestID: 0))
        let third = join(&core, 3)
        XCTAssertTrue(third.contains { if case let .log(_, text) = $0 { return text.hasPrefix("worker 2 ") }; return false }, "\(third)")
    }

    func testFirstMessageOtherThanHelloIsRejected() {
        var core = makeCore()
        _ = core.handle(.connected(1, peer: "p"))
        let out = core.handle(.received(1, .heartbeat(Heartbeat(shardsInFlight: 0)), requestID: 0))
        XCTAssertEqual(sends(out, to: 1).compactMap { if case let .reject(r) = $0 { return r.code }; return nil }, [RejectCode.badHandshake.rawValue])
    }

    func testGarbageFromOnePeerClosesOnlyThatPeer() {
        var core = makeCore(expect: 2)
        _ = join(&core, 1)
        _ = join(&core, 2)
        let out = core.handle(.protocolError(2, WireError(code: .badMagic, message: "bad magic")))
        XCTAssertTrue(sends(out, to: 2).contains { if case .error = $0 { return true }; return false })
        XCTAssertTrue(out.contains { if case .close(2, true) = $0 { return true }; return false })
        XCTAssertFalse(out.contains { if case .close(1, _) = $0 { return true }; return false })
        XCTAssertFalse(core.isFinished)
        // Its shard goes to the remaining worker once that one has room.
        XCTAssertEqual(core.work.hasPending, true)
    }

    func testAPoisonShardStopsTheRunAfterThreeFailuresNamingTheShardAndRows() {
        var core = makeCore()
        var assignment = assignments(join(&core, 1))[0].1
        var last: [CoordinatorDirective] = []
        for attempt in 0..<3 {
            XCTAssertEqual(assignment.attempt, UInt32(attempt))
            last = core.handle(.received(1, .shardFailed(ShardFailure(epoch: 1, shard: assignment.shard, attempt: assignment.attempt, reason: "v.safetensors: row 1: grad: value is NaN or infinite")), requestID: 0))
            if attempt < 2 {
                XCTAssertFalse(core.isFinished, "gave up after \(attempt + 1) failure(s)")
                assignment = assignments(last)[0].1   // back in line, to the same (only) worker
                XCTAssertEqual(assignment.shard, 0)
            }
        }
        guard case let .finish(.failure(message))? = last.last else { return XCTFail("run did not fail") }
        XCTAssertTrue(message.contains("shard 0"))
        XCTAssertTrue(message.contains("validation rows 0..<2"))
        XCTAssertTrue(message.contains("3 times"))
        XCTAssertTrue(message.contains("NaN"))
    }

    func testResultsAreJournaledBeforeTheyCount() {
        var core = makeCore(validationRows: 2)
        let a = assignments(join(&core, 1))[0].1
        let message = Message.partialSum(PartialSum(epoch: 1, shard: a.shard, attempt: a.attempt, rowCount: 2, sum: [1, 2]))
        let out = core.handle(.received(1, message, requestID: 0))
        let journalIndex = out.firstIndex { if case .journal(.result(message)) = $0 { return true }; return false }
        let referenceIndex = out.firstIndex { if case .send(_, .reference, _) = $0 { return true }; return false }
        XCTAssertNotNil(journalIndex)
        XCTAssertLessThan(journalIndex!, referenceIndex!)
    }

    func testAResultThatLeavesTheStepOpenIsJournaledAfterTheNextAssignmentAndDeferred() {
        var core = makeCore(rows: 12, validationRows: 2, shardRows: 4)
        let v = assignments(join(&core, 1, rows: 12))[0].1
        let first = core.handle(.received(1, .partialSum(PartialSum(epoch: 1, shard: v.shard, attempt: v.attempt, rowCount: 2, sum: [1, 2])),
                                          requestID: 0))
        let a = assignments(first)[0].1
        let scores = Message.scores(ShardScores(epoch: 1, shard: a.shard, attempt: a.attempt, rowStart: a.rowStart, rowCount: a.rowCount,
                                                columns: ["score", "cosine", "grad_norm"], values: [Double](repeating: 0.5, count: Int(a.rowCount) * 3)))
        let out = core.handle(.received(1, scores, requestID: 0))
        let assignIndex = out.firstIndex { if case .send(_, .assign, _) = $0 { return true }; return false }
        let deferredIndex = out.firstIndex { if case .journalDeferred(.result(scores)) = $0 { return true }; return false }
        XCTAssertNotNil(assignIndex)
        XCTAssertNotNil(deferredIndex)
        XCTAssertLessThan(assignIndex!, deferredIndex!)
        XCTAssertFalse(out.contains { if case .journal = $0 { return true }; return false })
    }

    func testRestoredShardsAreNotAssignedAgain() {
        var core = makeCore(rows: 10, validationRows: 2, shardRows: 4)
        core.restore([
            .result(.partialSum(PartialSum(epoch: 1, shard: 0, attempt: 0, rowCount: 2, sum: [1, 0]))),
            .result(.scores(ShardScores(epoch: 1, shard: 1, attempt: 3, rowStart: 4, rowCount: 4, columns: ["score", "cosine", "grad_norm"],
                                        values: [1, 1, 1, 2, 2, 1, 3, 3, 1, 4, 4, 1]))),
        ])
        let out = join(&core, 1, slots: 8)
        // The validation sum came from the journal, so scoring starts at once, without shard 1.
        XCTAssertEqual(assignments(out).map { $0.1.phase }, [.score, .score])
        XCTAssertEqual(assignments(out).map { $0.1.shard }, [0, 2])
    }

    func testFinishedEpochsInTheJournalAreSkipped() {
        let configuration = RunConfiguration(method: .random, parameters: MethodParameters(budget: 3), epochs: 2, expectWorkers: 1,
                                             dataPath: "/d", runID: "r")
        var core = CoordinatorCore(configuration: configuration, shape: PoolShape(rows: 10, validationRows: 0, dimension: 2, fingerprint: fingerprint))
        core.restore([.epochWritten(EpochRecord(epoch: 1, selected: 3, referenceNorm: nil), nextMu: 0)])
        let out = join(&core, 1)
        guard let written = out.compactMap({ if case let .writeEpoch(result) = $0 { return result }; return nil }).first else { return XCTFail("no epoch") }
        XCTAssertEqual(written.epoch, 2)
    }

    func testDrainStopsOnceShardsInFlightAreBack() {
        var core = makeCore(validationRows: 4)
        let sent = assignments(join(&core, 1, slots: 1))
        XCTAssertEqual(sent.count, 1)
        let drained = core.drain()
        XCTAssertFalse(drained.contains { if case .finish = $0 { return true }; return false })
        let a = sent[0].1
        let out = core.handle(.received(1, .partialSum(PartialSum(epoch: 1, shard: a.shard, attempt: a.attempt, rowCount: 2, sum: [1, 1])), requestID: 0))
        XCTAssertTrue(assignments(out).isEmpty, "no new work while draining")
        // Journaled (deferred: the shell syncs deferred records before it finishes).
        XCTAssertTrue(out.contains {
            switch $0 {
            case .journal, .journalDeferred: return true
            default: return false
            }
        })
        XCTAssertTrue(out.contains { if case .finish(.interrupted) = $0 { return true }; return false })
        XCTAssertFalse(out.contains { if case .send(_, .done, _) = $0 { return true }; return false }, "workers keep waiting to rejoin")
    }

    func testZeroValidationSumFailsTheRun() {
        var core = makeCore(validationRows: 2)
        let a = assignments(join(&core, 1))[0].1
        let out = core.handle(.received(1, .partialSum(PartialSum(epoch: 1, shard: a.shard, attempt: a.attempt, rowCount: 2, sum: [0, 0])), requestID: 0))
        guard case let .finish(.failure(message))? = out.last else { return XCTFail("run did not fail") }
        XCTAssertTrue(message.contains("zero vector"))
    }

    func testMalformedScoresCloseTheWorkerAndRequeue() {
        var core = makeCore(validationRows: 2, expect: 1)
        let a = assignments(join(&core, 1))[0].1
        let out = core.handle(.received(1, .partialSum(PartialSum(epoch: 1, shard: a.shard, attempt: a.attempt, rowCount: 2, sum: [1])), requestID: 0))
        XCTAssertTrue(out.contains { if case .close(1, true) = $0 { return true }; return false })
        XCTAssertTrue(core.work.hasPending)
    }

    /// A journal write that fails after the run finished (the last epoch's directives hold both
    /// the journal record and the finish) still ends the run as a failure, with the reason
    /// logged: before, abort returned nothing once the run was finished, and the run exited 0.
    func testAJournalFailureAfterTheRunFinishedStillFailsTheRun() {
        var core = makeCore()
        _ = core.stopNow()   // finished (interrupted): the state after a run's last directives
        let directives = core.abort("cannot write the journal: disk full")
        XCTAssertTrue(directives.contains { if case let .log(.error, text) = $0 { return text.contains("disk full") }; return false })
        XCTAssertTrue(directives.contains { if case .finish(.failure("cannot write the journal: disk full")) = $0 { return true }; return false })
    }

    /// Score columns are checked by name for the method, and a bad message never fixes the
    /// epoch's columns: before, the first message's names were adopted before it was validated,
    /// so one bad worker made every correct worker's scores fail, and names were never checked.
    func testABadScoresMessageIsRefusedWithoutSpoilingTheCorrectOnes() {
        var core = makeCore(validationRows: 2, expect: 2, shardRows: 5)
        _ = join(&core, 1)
        var pending = assignments(join(&core, 2))
        var directives: [CoordinatorDirective] = []
        for (id, a) in pending {
            directives += core.handle(.received(id, .partialSum(PartialSum(epoch: 1, shard: a.shard, attempt: a.attempt, rowCount: UInt64(a.rowCount), sum: [1, 0])), requestID: 0))
        }
        pending = assignments(directives)
        XCTAssertEqual(pending.count, 2)
        func scores(_ a: Assignment, columns: [String]) -> Message {
            .scores(ShardScores(epoch: 1, shard: a.shard, attempt: a.attempt, rowStart: a.rowStart, rowCount: a.rowCount, columns: columns,
                                values: [Double](repeating: 0.5, count: Int(a.rowCount) * columns.count)))
        }
        let (badID, bad) = pending[0], (goodID, good) = pending[1]
        let refused = core.handle(.received(badID, scores(bad, columns: ["score", "cos", "norm"]), requestID: 0))
        XCTAssertTrue(refused.contains { if case let .send(id, .error(e), _) = $0 { return id == badID && e.message.contains("gradalign sends") }; return false },
                      "refused with the reason: \(refused)")
        let accepted = core.handle(.received(goodID, scores(good, columns: ["score", "cosine", "grad_norm", "success"]), requestID: 0))
        XCTAssertFalse(accepted.contains { if case .send(_, .error, _) = $0 { return true }; return false }, "\(accepted)")
        XCTAssertEqual(core.table.columns, ["score", "cosine", "grad_norm", "success"])
    }

    /// The core draws no randomness of its own: the handshake's challenge is the injected
    /// nonce, and a worker proving it with the token is let in (issue 13: the nonce was drawn
    /// inside the core).
    func testTheHandshakeChallengeIsTheInjectedNonceAndTheTokenLetsTheWorkerIn() throws {
        let token = try XCTUnwrap(ClusterToken(secret: Array("a cluster token of enough length".utf8)))
        var configuration = RunConfiguration(method: .gradalign, parameters: MethodParameters(budget: 3), expectWorkers: 1, shardRows: 4,
                                             validationShardRows: 2, dataPath: "/data", runID: "r1")
        configuration.token = token
        let fixed = [UInt8](repeating: 7, count: 32)
        var core = CoordinatorCore(configuration: configuration,
                                   shape: PoolShape(rows: 10, validationRows: 3, dimension: 2, fingerprint: fingerprint), nonce: { fixed })
        _ = core.handle(.connected(1, peer: "peer1"))
        let challenged = core.handle(.received(1, .hello(Hello(workerName: "w", productVersion: "t", slots: 1, dataPath: "")), requestID: 3))
        XCTAssertTrue(challenged.contains { if case .send(1, .challenge(Challenge(nonce: fixed)), _) = $0 { return true }; return false }, "\(challenged)")
        let workerNonce = [UInt8](repeating: 9, count: 32)
        let proved = core.handle(.received(1, .auth(Auth(nonce: workerNonce, proof: token.workerProof(challenge: fixed, workerNonce: workerNonce))), requestID: 4))
        XCTAssertTrue(proved.contains { if case let .send(1, .authProof(p), _) = $0 { return token.isValidCoordinatorProof(p.proof, challenge: fixed, workerNonce: workerNonce) }; return false },
                      "\(proved)")
        XCTAssertFalse(proved.contains { if case .send(1, .reject, _) = $0 { return true }; return false })
        // A wrong proof is rejected.
        var other = CoordinatorCore(configuration: configuration,
                                    shape: PoolShape(rows: 10, validationRows: 3, dimension: 2, fingerprint: fingerprint), nonce: { fixed })
        _ = other.handle(.connected(2, peer: "peer2"))
        _ = other.handle(.received(2, .hello(Hello(workerName: "w", productVersion: "t", slots: 1, dataPath: "")), requestID: 3))
        let refused = other.handle(.received(2, .auth(Auth(nonce: workerNonce, proof: [UInt8](repeating: 0, count: 32))), requestID: 4))
        XCTAssertFalse(refused.contains { if case .send(2, .authProof, _) = $0 { return true }; return false }, "\(refused)")
    }
}
