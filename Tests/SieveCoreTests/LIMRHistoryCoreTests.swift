import XCTest
@testable import SieveCore
import SieveSelect
import SieveWire

/// limr on data without `rewards`, driven through the coordinator's state machine with no
/// sockets: the score step gathers success, the first H epochs are random's draw, later ones
/// limr's from the history, and a resumed core rebuilds the history from the journal.
final class LIMRHistoryCoreTests: XCTestCase {
    let fingerprint: UInt64 = 0xabc
    let rows = 10

    func makeCore(epochs: Int = 4, budget: Int? = 3, history: Int = 2) -> CoordinatorCore {
        var configuration = RunConfiguration(method: .limr, parameters: MethodParameters(budget: budget, seed: 5, limrHistoryEpochs: history),
                                             epochs: epochs, expectWorkers: 1, shardRows: 4, validationShardRows: 2,
                                             dataPath: "/data", runID: "r", workerTimeoutMillis: 5000, handshakeTimeoutMillis: 1000)
        configuration.follow = false
        return CoordinatorCore(configuration: configuration,
                               shape: PoolShape(rows: rows, validationRows: 0, dimension: 0, rewardEpochs: 0, fingerprint: fingerprint))
    }

    /// Row r's success in epoch e: multiples of 1/4 that change from epoch to epoch.
    func success(_ epoch: Int, _ row: Int) -> Double { Double((row * 7 + epoch * 3 + row * epoch) % 5) / 4 }

    struct Played {
        var results: [Int: EpochResult] = [:]
        var journal: [JournalRecord] = []
        var finished = false
    }

    /// Joins `workers` workers and answers every assignment (the most recent first, so results
    /// arrive out of shard order) until the run finishes.
    func play(_ core: inout CoordinatorCore, workers: Int = 1) -> Played {
        var played = Played()
        var queue: [CoordinatorDirective] = []
        var references: [ConnectionID: [Int: [Double]]] = [:]
        var pending: [(ConnectionID, Assignment)] = []
        for id in 1...workers {
            queue += core.handle(.connected(id, peer: "p\(id)"))
            queue += core.handle(.received(id, .hello(Hello(workerName: "w\(id)", productVersion: "t", slots: 2, dataPath: "")), requestID: 1))
            queue += core.handle(.received(id, .ready(Ready(fingerprint: fingerprint, rows: UInt64(rows), dimension: 0)), requestID: 0))
        }
        while !played.finished {
            if queue.isEmpty {
                guard let (id, a) = pending.popLast() else { XCTFail("stalled"); break }
                XCTAssertEqual(a.phase, .score)
                XCTAssertEqual(references[id]?[Int(a.epoch)], [], "an empty reference announces the success step")
                let range = Int(a.rowStart)..<Int(a.rowStart) + Int(a.rowCount)
                let scores = ShardScores(epoch: a.epoch, shard: a.shard, attempt: a.attempt, rowStart: a.rowStart, rowCount: a.rowCount,
                                         columns: ["success"], values: range.map { success(Int(a.epoch), $0) })
                queue += core.handle(.received(id, .scores(scores), requestID: 0))
                continue
            }
            switch queue.removeFirst() {
            case let .send(id, .assign(a), _): pending.append((id, a))
            case let .send(id, .reference(r), _): references[id, default: [:]][Int(r.epoch)] = r.vector
            case let .journal(record), let .journalDeferred(record): played.journal.append(record)
            case let .writeEpoch(result):
                played.results[result.epoch] = result
                queue += core.handle(.epochWritten(epoch: result.epoch, error: nil))
            case let .finish(outcome):
                if case let .failure(message) = outcome { XCTFail(message) }
                played.finished = true
            default: break
            }
        }
        return played
    }

    /// LIMR over the given epochs' success, written out independently.
    func expectedScores(epochs: [Int]) -> [Double] {
        let mean = epochs.map { e in (0..<rows).reduce(0.0) { $0 + success(e, $1) } / Double(rows) }
        let denominator = mean.reduce(0.0) { $0 + (1 - $1) * (1 - $1) }
        return (0..<rows).map { r in 1 - zip(epochs, mean).reduce(0.0) { $0 + (success($1.0, r) - $1.1) * (success($1.0, r) - $1.1) } / denominator }
    }

    func testWarmUpEpochsDrawLikeRandomThenLimrScoresFromTheHistory() {
        var core = makeCore()
        let played = play(&core)
        for epoch in 1...2 {
            let result = played.results[epoch]!
            XCTAssertEqual(result.curriculum.map(\.row), RandomSelection.sample(rowCount: rows, budget: 3, seed: 5, epoch: epoch))
            XCTAssertEqual(result.curriculum.map(\.score), [0, 0, 0], "warm-up epochs show random's score")
            XCTAssertEqual(result.columns, ["success"])
            XCTAssertEqual(result.values, (0..<rows).map { success(epoch, $0) })
        }
        for epoch in 3...4 {
            let result = played.results[epoch]!
            let expected = expectedScores(epochs: Array(1..<epoch))
            let ranked = (0..<rows).sorted { expected[$0] > expected[$1] || (expected[$0] == expected[$1] && $0 < $1) }
            XCTAssertEqual(result.curriculum.map(\.row), Array(ranked.prefix(3)), "epoch \(epoch)")
            XCTAssertEqual(result.columns, ["score", "distance", "success"])
            for row in 0..<rows {
                XCTAssertEqual(result.values[3 * row], expected[row], accuracy: 1e-12)
                XCTAssertEqual(result.values[3 * row + 2], success(epoch, row))
            }
        }
    }

    func testTheCurriculaDoNotDependOnTheWorkerCount() {
        var one = makeCore(), three = makeCore()
        let a = play(&one, workers: 1), b = play(&three, workers: 3)
        for epoch in 1...4 {
            XCTAssertEqual(a.results[epoch]!.curriculum.map(\.row), b.results[epoch]!.curriculum.map(\.row))
            XCTAssertEqual(a.results[epoch]!.values, b.results[epoch]!.values)
        }
    }

    func testAResumedCoreRebuildsTheHistoryFromTheJournal() {
        var undisturbed = makeCore()
        let full = play(&undisturbed)
        // Cut the journal at every record: a crash can happen after any of them.
        for cut in 0...full.journal.count {
            let kept = full.journal[0..<cut].map { JournalRecord.decode($0.encoded())! }
            var resumed = makeCore()
            resumed.restore(kept)
            let written = Set(kept.compactMap { if case let .epochWritten(record, _) = $0 { return record.epoch }; return nil })
            let played = play(&resumed)
            for epoch in 1...4 where !written.contains(epoch) {
                let again = played.results[epoch], before = full.results[epoch]!
                XCTAssertEqual(again?.curriculum.map(\.row), before.curriculum.map(\.row), "cut \(cut), epoch \(epoch)")
                XCTAssertEqual(again?.curriculum.map(\.score), before.curriculum.map(\.score), "cut \(cut), epoch \(epoch)")
                XCTAssertEqual(again?.values, before.values, "cut \(cut), epoch \(epoch)")
            }
        }
    }

    func testWithoutABudgetTheWarmUpTakesEveryRowAndThenTheThresholdDecides() {
        var core = makeCore(epochs: 3, budget: nil)
        let played = play(&core)
        XCTAssertEqual(played.results[1]!.curriculum.map(\.row), RandomSelection.sample(rowCount: rows, budget: rows, seed: 5, epoch: 1))
        let expected = expectedScores(epochs: [1, 2])
        XCTAssertEqual(Set(played.results[3]!.curriculum.map(\.row)), Set((0..<rows).filter { expected[$0] >= 0.6 }))
    }

    func testRestoredScoreResultsWithoutSuccessAddNothing() {
        let scores = ShardScores(epoch: 1, shard: 0, attempt: 0, rowStart: 0, rowCount: 2, columns: ["score", "distance"], values: [1, 0, 0.5, 0.1])
        XCTAssertNil(CoordinatorCore.successColumn([.scores(scores)], rows: 2))
        let success = ShardScores(epoch: 1, shard: 0, attempt: 0, rowStart: 0, rowCount: 2, columns: ["success"], values: [0.25, 1])
        XCTAssertEqual(CoordinatorCore.successColumn([.scores(success)], rows: 2), [0.25, 1])
        XCTAssertNil(CoordinatorCore.successColumn([.scores(success)], rows: 3), "a row left uncovered")
    }
}
