import Foundation
import XCTest

/// Operator comfort: Prometheus metrics in the textfile convention, JSON log lines, completions.
final class OperatorTests: XCTestCase {
    func testMetricsFileAndJSONLogs() throws {
        let harness = try Harness("operator")
        let pool = harness.path("pool")
        XCTAssertEqual(try harness.run(["generate", "--out", pool, "--rows", "700", "--dim", "8"]).status, 0)
        let result = try harness.run(["select", "--data", pool, "--budget", "10", "--workers", "2", "--epochs", "2", "--shard-rows", "100",
                                      "--out", harness.path("out"), "--metrics-file", harness.path("out/gradsieve.prom"), "--log-format", "json"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let metrics = String(decoding: try harness.read("out/gradsieve.prom"), as: UTF8.self)
        XCTAssertTrue(metrics.contains("# TYPE gradsieve_rows_scored_total counter\ngradsieve_rows_scored_total 1400\n"), metrics)
        XCTAssertTrue(metrics.contains("gradsieve_epoch_seconds{epoch=\"2\"}"), metrics)
        XCTAssertTrue(metrics.contains("gradsieve_shards_in_flight 0"), metrics)
        let lines = result.stderr.split(separator: "\n")
        XCTAssertFalse(lines.isEmpty)
        for line in lines {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            XCTAssertNotNil(object?["message"], String(line))
            XCTAssertNotNil(object?["level"], String(line))
        }
    }

    func testShellCompletionScriptsAreGenerated() throws {
        let harness = try Harness("completion")
        for shell in ["bash", "zsh", "fish"] {
            let result = try harness.run(["--generate-completion-script", shell])
            XCTAssertEqual(result.status, 0, result.stderr)
            XCTAssertTrue(result.stdout.contains("coordinator"), shell)
        }
    }
}

final class ReportTests: XCTestCase {
    func testReportIsOneSelfContainedPageWithTheRunsCharts() throws {
        let harness = try Harness("report")
        let pool = harness.path("pool")
        XCTAssertEqual(try harness.run(["generate", "--out", pool, "--rows", "600", "--dim", "8"]).status, 0)
        XCTAssertEqual(try harness.run(["select", "--data", pool, "--method", "gainrl", "--budget", "50", "--epochs", "3",
                                        "--gainrl-sigma", "100", "--workers", "2", "--shard-rows", "100", "--out", harness.path("out")]).status, 0)
        let result = try harness.run(["report", harness.path("out")])
        XCTAssertEqual(result.status, 0, result.stderr)
        let html = String(decoding: try harness.read("out/report.html"), as: UTF8.self)
        XCTAssertEqual(html.components(separatedBy: "<svg").count - 1, 3, "scores, overlap, throughput")
        XCTAssertTrue(html.contains("Curriculum overlap"))
        XCTAssertTrue(html.contains("ep 3"))
        XCTAssertFalse(html.contains("src=\"http"), "no external resources")
        let empty = try harness.run(["report", harness.path("pool")])
        XCTAssertNotEqual(empty.status, 0)
        XCTAssertTrue(empty.stderr.contains("holds no run output"), empty.stderr)
    }
}

/// The report of a comparison: sampled and greedy accuracy with the warm start, paired
/// differences against random, per-component picks; tick labels never repeat on an axis.
final class CompareReportTests: XCTestCase {
    func testCompareReportDrawsAccuracyDifferencesAndPicks() throws {
        let harness = try Harness("report-compare")
        let root = harness.path("cmp")
        // Accuracies between 0.325 and 0.335: ticks 0.0025 apart, which two decimals print alike.
        let arms: [String: [Double]] = ["random": [0.3300, 0.3310], "gradalign": [0.3340, 0.3350], "clean": [0.3345, 0.3349]]
        for (arm, finals) in arms {
            for (seed, final) in finals.enumerated() {
                let directory = root + "/\(arm)/seed-\(seed + 1)"
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
                let lines = [
                    #"{"epoch":0,"method":"\#(arm)","selected":0,"train_reward":0,"test_accuracy":0.325,"seconds":0,"sampled_accuracy":0.325}"#,
                    #"{"epoch":1,"method":"\#(arm)","selected":8,"train_reward":0.1,"test_accuracy":\#(final),"seconds":1,"sampled_accuracy":\#(final),"picked":{"target":6,"easy":1,"hard":0,"unreliable":1,"distractor":0}}"#,
                ]
                try (lines.joined(separator: "\n") + "\n").write(toFile: directory + "/metrics.jsonl", atomically: true, encoding: .utf8)
            }
        }
        let result = try harness.run(["report", root])
        XCTAssertEqual(result.status, 0, result.stderr)
        let html = String(decoding: try harness.read("cmp/report.html"), as: UTF8.self)
        for heading in ["Held-out sampled accuracy per epoch", "Held-out greedy accuracy per epoch",
                        "Paired difference against random", "What each curriculum picked"] {
            XCTAssertTrue(html.contains(heading), heading)
        }
        XCTAssertEqual(html.components(separatedBy: "<svg").count - 1, 4)
        XCTAssertTrue(html.contains(">warm start<"), "the warm start's reference line is in the legend")
        XCTAssertTrue(html.contains("viewBox="), "charts scale to the page")
        // gradalign - random per seed: +0.004 both times.
        XCTAssertTrue(html.contains("+0.004"), "the mean paired difference is written at its dot")
        // Every axis's labels are distinct: read the y tick labels of each line chart.
        for chart in html.components(separatedBy: "<svg").dropFirst().prefix(2) {
            let labels = chart.components(separatedBy: "text-anchor=\"end\">").dropFirst().map { String($0.prefix { $0 != "<" }) }
            XCTAssertGreaterThan(labels.count, 2)
            XCTAssertEqual(Set(labels).count, labels.count, "repeated tick labels: \(labels)")
        }
    }
}

/// The wire benchmark runs every part end to end through real sockets, and its receivers'
/// checks hold: every frame decoded (framed), parsed (hand-written) or counted (raw), with the
/// sums of the fields they read equal to what was sent. No timing is asserted.
final class BenchWireSmokeTests: XCTestCase {
    /// `gradsieve bench ARGS` is `gradsieve-bench ARGS` (the benchmarks' own executable).
    func testGradsieveBenchRunsTheBenchmarksExecutable() throws {
        let harness = try Harness("bench-forward")
        let help = try harness.run(["bench", "--help"])
        XCTAssertEqual(help.status, 0, help.stderr)
        XCTAssertTrue(help.stdout.contains("gradsieve-bench"), help.stdout)
        XCTAssertTrue(help.stdout.contains("sim-workers"), help.stdout)
        let wrong = try harness.run(["bench", "no-such-part"])
        XCTAssertNotEqual(wrong.status, 0)
        XCTAssertTrue(wrong.stderr.contains("no-such-part"), wrong.stderr)
    }

    func testEveryPartRunsAndItsReceiversAccountForEveryFrame() throws {
        let harness = try Harness("bench-wire")
        let result = try harness.run([
            "bench", "wire", "--parts", "large,small,batched,codec", "--large-values", "16384", "--large-megabytes", "2",
            "--small-frames", "20000", "--repeats", "1",
        ])
        XCTAssertEqual(result.status, 0, result.stderr)
        for line in [
            "wire framed/raw 128 KiB frames x ", "wire framed/raw 37-byte frames x 20000, one write each",
            "wire framed/raw 37-byte frames x ", "wire hand-written/raw 37-byte frames x ",
            "wire framed (appendingTo)/raw 37-byte frames x ", "wire raw receiver CPU 37-byte frames x ",
            "codec decode 37-byte assign frames", "codec decode 128 KiB scores frame",
        ] {
            XCTAssertTrue(result.stdout.contains(line), "no line \(line) in:\n\(result.stdout)")
        }
    }
}
