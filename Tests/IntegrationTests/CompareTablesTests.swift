import XCTest
@testable import gradsieve

/// compare.md's statistics: t quantiles, paired differences by seed, and the equal-rollouts view
/// that never gives an arm more rollouts than random had.
final class CompareTablesTests: XCTestCase {
    func line(_ epoch: Int, _ sampled: Double, rollouts: Int) -> DemoRun.Line {
        DemoRun.Line(epoch: epoch, method: "m", selected: 0, train_reward: 0, test_accuracy: sampled, seconds: 0,
                     test_accuracy_by_tier: nil, sampled_accuracy: sampled, picked: ["target": 3, "unreliable": 1],
                     rollouts: rollouts, scoring_rollouts: 0)
    }

    func testTQuantilesAndIntervals() {
        XCTAssertEqual(Stats.t975(1), 12.706)
        XCTAssertEqual(Stats.t975(4), 2.776)
        XCTAssertEqual(Stats.t975(30), 2.042)
        XCTAssertEqual(Stats.t975(40), 2.021, accuracy: 0.001)
        XCTAssertEqual(Stats.t975(120), 1.980, accuracy: 0.001)
        XCTAssertEqual(Stats.sd([1, 2, 3]), 1)
        // mean 2, sd 1, n 3: half-width 4.303 / sqrt(3) = 2.484
        XCTAssertEqual(Stats.interval([1, 2, 3]), "+2.000 [-0.484, +4.484]")
        XCTAssertEqual(Stats.interval([0.5]), "+0.500 (one seed)")
    }

    func testDifferencesArePairedBySeedAndRolloutsNeverExceedRandoms() throws {
        let demo = try Demo.parse(["--out", "unused", "--seeds", "2", "--epochs", "2"])
        // random: 100 rollouts per epoch; gradalign: 150 (scoring), so only its epoch 1 is
        // within random's 200.
        let results: [String: [[DemoRun.Line]]] = [
            "random": [[line(0, 0.10, rollouts: 0), line(1, 0.20, rollouts: 100), line(2, 0.30, rollouts: 200)],
                       [line(0, 0.10, rollouts: 0), line(1, 0.10, rollouts: 100), line(2, 0.20, rollouts: 200)]],
            "gradalign": [[line(0, 0.10, rollouts: 0), line(1, 0.35, rollouts: 150), line(2, 0.40, rollouts: 300)],
                          [line(0, 0.10, rollouts: 0), line(1, 0.30, rollouts: 150), line(2, 0.25, rollouts: 300)]],
        ]
        let tables = CompareTables(demo: demo, arms: ["random", "gradalign"], results: results)
        // Paired: 0.40 - 0.30 and 0.25 - 0.20: mean 0.075, sd 0.0354, half 12.706 x 0.025 = 0.318.
        // Paired the other way round it would be 0.40 - 0.20 and 0.25 - 0.30: mean 0.075 too, but sd 0.177.
        XCTAssertEqual(tables.differences("gradalign", epoch: 2, \.sampled_accuracy).map { ($0 * 1000).rounded() / 1000 }, [0.1, 0.05])
        let paired = tables.pairedTable()
        XCTAssertTrue(paired.contains("+0.075 [-0.243, +0.393]"), paired)
        XCTAssertTrue(paired.contains("| 2 of 2 |"), paired)
        let rollouts = tables.rolloutsTable()
        // gradalign at epoch 1 (150 <= 200), against random's final: 0.35 - 0.30, 0.30 - 0.20.
        XCTAssertTrue(rollouts.contains("| gradalign | 150 | 1 | 150 | 0.325 | +0.075"), rollouts)
        XCTAssertTrue(rollouts.contains("| random | 100 | 2 | 200 | 0.250 | +0.000"), rollouts)
        let picked = tables.pickedTable()
        XCTAssertTrue(picked.contains("| gradalign | 0.75 | 0.00 | 0.00 | 0.25 | 0.00 |"), picked)
    }

    /// `--task arithmetic` keeps every default of the first built-in task; a flag of the other
    /// task is refused, not ignored.
    func testArithmeticKeepsItsOldDefaultsAndFlagsOfTheOtherTaskAreRefused() throws {
        let old = try Demo.parse(["--out", "x", "--task", "arithmetic"])
        XCTAssertEqual([old.curriculumSize, old.poolRows, old.pass, old.stepsPerEpoch], [256, 4096, 4, 32])
        XCTAssertEqual(old.noise, 0.2)
        XCTAssertEqual(old.lr, 1e-4)
        XCTAssertEqual(old.lowUtilityShare, 0.1)
        XCTAssertNil(old.chunkRows)
        let new = try Demo.parse(["--out", "x"])
        XCTAssertEqual([new.curriculumSize, new.poolRows, new.pass, new.stepsPerEpoch, new.chunkRows ?? 0], [1024, 16384, 1, 32, 4096])
        XCTAssertEqual(new.noise, 0.1)
        XCTAssertThrowsError(try Demo.parse(["--out", "x", "--tiers", "1,1,0,0,0"])) { error in
            XCTAssertTrue(Demo.message(for: error).contains("--task arithmetic"), Demo.message(for: error))
        }
        XCTAssertThrowsError(try Demo.parse(["--out", "x", "--task", "arithmetic", "--shares", "1,1,1,1"]))
        XCTAssertThrowsError(try Demo.parse(["--out", "x", "--budget", "5000", "--chunk-size", "4096"]), "a budget larger than its chunk")
    }

    /// The fault-injection delay is read by the command line, not by the worker service.
    func testTheShardDelayComesFromTheEnvironmentThroughTheCommandLine() {
        XCTAssertEqual(Worker.shardDelayMillis(["GRADSIEVE_SHARD_DELAY_MS": "120"]), 120)
        XCTAssertEqual(Worker.shardDelayMillis([:]), 0)
        XCTAssertEqual(Worker.shardDelayMillis(["GRADSIEVE_SHARD_DELAY_MS": "soon"]), 0)
    }
}
