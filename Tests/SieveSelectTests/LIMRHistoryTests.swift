import SieveSelect
import XCTest

/// limr's own reward history: random's draw while it is short, LIMR over the earlier epochs after.
final class LIMRHistoryTests: XCTestCase {
    /// Success rates as a trainer reports them: multiples of 1/8.
    func success(rows: Int, seed: UInt64) -> [Float] {
        var random = TestRandom(seed: seed)
        return (0..<rows).map { _ in Float(random.next() % 9) / 8 }
    }

    /// LIMR written out directly over per-epoch columns, independent of `LIMR`'s helpers.
    func independentScores(_ columns: [[Float]]) -> [Double] {
        let rows = columns[0].count
        let mean = columns.map { column in column.reduce(0.0) { $0 + Double($1) } / Double(rows) }
        let denominator = mean.reduce(0.0) { $0 + (1 - $1) * (1 - $1) }
        return (0..<rows).map { row in
            1 - zip(columns, mean).reduce(0.0) { $0 + (Double($1.0[row]) - $1.1) * (Double($1.0[row]) - $1.1) } / denominator
        }
    }

    func testWarmUpEpochsAreRandomsDrawExactly() throws {
        var history = LIMRHistory(rowCount: 50)
        for epoch in 1...2 {
            history.record(epoch: epoch, success: success(rows: 50, seed: UInt64(epoch)))
            let selection = try history.select(epoch: epoch, minimumEpochs: 2, threshold: 0.6, budget: 7, seed: 11)
            XCTAssertTrue(selection.isWarmUp, "epoch \(epoch) has \(epoch - 1) earlier epoch(s)")
            XCTAssertEqual(selection.rows, RandomSelection.sample(rowCount: 50, budget: 7, seed: 11, epoch: epoch))
            XCTAssertEqual(selection.historyEpochs, [])
        }
        // Without a budget the warm-up trains on the full data, in random's order.
        let all = try history.select(epoch: 2, minimumEpochs: 2, threshold: 0.6, budget: nil, seed: 11)
        XCTAssertEqual(all.rows, RandomSelection.sample(rowCount: 50, budget: 50, seed: 11, epoch: 2))
        XCTAssertEqual(Set(all.rows), Set(0..<50))
    }

    func testLaterEpochsScoreFromTheEarlierEpochsOnly() throws {
        let rows = 64
        var history = LIMRHistory(rowCount: rows)
        let columns = (1...4).map { success(rows: rows, seed: UInt64(100 + $0)) }
        // Recorded out of order: the history is keyed by epoch.
        for epoch in [3, 1, 4, 2] { history.record(epoch: epoch, success: columns[epoch - 1]) }
        for epoch in 3...4 {
            let selection = try history.select(epoch: epoch, minimumEpochs: 2, threshold: 0.6, budget: 10, seed: 1)
            XCTAssertFalse(selection.isWarmUp)
            XCTAssertEqual(selection.historyEpochs, Array(1..<epoch), "epoch \(epoch) never reads its own column")
            let expected = independentScores(Array(columns[0..<(epoch - 1)]))
            for row in 0..<rows { XCTAssertEqual(selection.scores![row], expected[row], accuracy: 1e-12) }
            let ranked = (0..<rows).sorted { expected[$0] > expected[$1] || (expected[$0] == expected[$1] && $0 < $1) }
            XCTAssertEqual(selection.rows, Array(ranked.prefix(10)))
            let threshold = try history.select(epoch: epoch, minimumEpochs: 2, threshold: 0.6, budget: nil, seed: 1)
            XCTAssertEqual(threshold.rows, ranked.filter { expected[$0] >= 0.6 })
        }
        // The same history as a rewards tensor gives the same scores bit for bit.
        let (rewards, k) = history.rewards(before: 4)
        XCTAssertEqual(k, 3)
        let scored = try history.select(epoch: 4, minimumEpochs: 2, threshold: 0.6, budget: 10, seed: 1)
        XCTAssertEqual(try LIMR.scores(rewards: rewards, rowCount: rows, epochs: 3).scores, scored.scores)
        XCTAssertEqual(Array(rewards[0..<3]), [columns[0][0], columns[1][0], columns[2][0]])
    }

    func testDistancesAndTheWorkedExample() throws {
        // LIMRTests' hand-worked history, N = 3, K = 2, as two recorded epochs.
        var history = LIMRHistory(rowCount: 3)
        history.record(epoch: 1, success: [0, 0, 1])
        history.record(epoch: 2, success: [1, 0, 1])
        let selection = try history.select(epoch: 3, minimumEpochs: 2, threshold: 0.6, budget: nil, seed: 1)
        XCTAssertEqual(selection.scores![0], 0.6, accuracy: 1e-12)
        XCTAssertEqual(selection.scores![1], 0, accuracy: 1e-12)
        XCTAssertEqual(selection.distances![1], 5.0 / 9, accuracy: 1e-12)
        XCTAssertEqual(selection.rows, [0])
    }

    func testAHistoryOfPerfectEpochsIsAnError() {
        var history = LIMRHistory(rowCount: 4)
        history.record(epoch: 1, success: [1, 1, 1, 1])
        history.record(epoch: 2, success: [1, 1, 1, 1])
        XCTAssertThrowsError(try history.select(epoch: 3, minimumEpochs: 2, threshold: 0.6, budget: 2, seed: 1)) { error in
            XCTAssertEqual((error as? SelectionError)?.method, "limr")
        }
        XCTAssertNoThrow(try history.select(epoch: 2, minimumEpochs: 2, threshold: 0.6, budget: 2, seed: 1), "still warming up")
    }
}
