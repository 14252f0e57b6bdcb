import Foundation
import Logging
import SievePolicy

/// `demo --compare`: the full-data baseline, random and every live method from the same warm
/// start, with the same number of GRPO steps and rollouts, over several seeds; a table in
/// OUT/compare.md.
struct DemoCompare {
    let demo: Demo
    let warm: String
    let logger: Logger

    func run() throws {
        var results: [String: [[DemoRun.Line]]] = [:]
        for arm in Self.arms {
            for seed in 1...UInt64(demo.seeds) {
                let directory = demo.out + "/\(arm)/seed-\(seed)"
                print("compare: \(arm), seed \(seed)")
                let run = arm == "full"
                    ? DemoRun.fullData(demo: demo, seed: seed, directory: directory, warm: warm, logger: logger)
                    : DemoRun(demo: demo, method: arm, seed: seed, directory: directory, warm: warm, logger: logger)
                let lines = try run.run(printing: false)
                results[arm, default: []].append(lines)
                print(String(format: "  test accuracy by epoch: %@", lines.map { String(format: "%.3f", $0.test_accuracy) }.joined(separator: " ")))
            }
        }
        let text = table(results)
        try text.write(toFile: demo.out + "/compare.md", atomically: true, encoding: .utf8)
        print(text)
    }

    /// The runs of a comparison: the full-data baseline, then every live method.
    static let arms = ["full"] + DemoRun.liveMethods

    /// Mean and spread (sample standard deviation) of test accuracy per method and epoch, and the
    /// GRPO steps after which each method's mean first reaches the full-data baseline's final
    /// mean accuracy (at epoch granularity: accuracy is measured once per epoch).
    func table(_ results: [String: [[DemoRun.Line]]]) -> String {
        let epochs = 0...demo.epochs
        var text = "# Test accuracy by method and epoch\n\n"
        text += "`gradsieve \(CommandLine.arguments.dropFirst().joined(separator: " "))` (pool \(demo.pool), budget \(demo.budget), "
        text += "label noise \(demo.labelNoise), \(demo.epochs) epochs, \(demo.passes) passes, batch \(demo.batch), \(demo.rollouts) rollouts, \(demo.workers) workers). "
        text += "Mean ± standard deviation over \(demo.seeds) seed(s); epoch 0 is the shared warm start. Every run takes the same "
        text += "\(demo.stepsPerEpoch) GRPO steps of \(demo.batch) problems × \(demo.rollouts) rollouts per epoch; `full` is the full-data "
        text += "baseline (its curriculum is the whole pool of \(demo.pool) in a fresh random order each epoch, so those steps train on "
        text += "\(min(demo.pool, demo.stepsPerEpoch * demo.batch)) freshly drawn problems, each once), "
        text += "`random` a uniform draw of \(demo.budget) problems each epoch. Test accuracy is greedy decoding on \(demo.test) "
        text += "held-out clean problems (questions that no pool or warm-up holds). `limr` builds its reward history from each epoch's success and trains on random's "
        text += "draw for its first \(demo.limrHistoryEpochs) epoch(s), so without --diversity it matches random until then.\n\n"
        text += "| method | " + epochs.map { "epoch \($0)" }.joined(separator: " | ") + " | steps to full-data accuracy |\n"
        text += "|---|" + epochs.map { _ in "---|" }.joined() + "---|\n"
        let target = mean(results["full"] ?? [], epoch: demo.epochs)
        for arm in Self.arms {
            let runs = results[arm] ?? []
            let cells = epochs.map { epoch -> String in
                let values = runs.compactMap { $0.first { $0.epoch == epoch }?.test_accuracy }
                return String(format: "%.3f ± %.3f", average(values), spread(values))
            }
            let reach = epochs.dropFirst().first { mean(runs, epoch: $0) >= target }.map { "\($0 * demo.stepsPerEpoch)" } ?? "not reached"
            text += "| \(arm) | " + cells.joined(separator: " | ") + " | \(reach) |\n"
        }
        text += tierTable(results)
        text += "\nPer run (test accuracy after epochs 0 to \(demo.epochs)):\n\n"
        text += "| method | " + (1...demo.seeds).map { "seed \($0)" }.joined(separator: " | ") + " |\n"
        text += "|---|" + (1...demo.seeds).map { _ in "---|" }.joined() + "\n"
        for arm in Self.arms {
            let runs = results[arm] ?? []
            text += "| \(arm) | " + runs.map { $0.map { String(format: "%.3f", $0.test_accuracy) }.joined(separator: " ") }.joined(separator: " | ") + " |\n"
        }
        return text
    }

    /// Test accuracy per difficulty tier at the warm start and after the last epoch, mean over
    /// seeds: where a curriculum's gains and losses lie.
    func tierTable(_ results: [String: [[DemoRun.Line]]]) -> String {
        let tiers = ArithmeticTasks.tiers
        var text = "\nTest accuracy by tier after epoch \(demo.epochs) (mean over seeds; tier 0 is the easiest):\n\n"
        text += "| method | " + tiers.indices.map { "tier \($0) (\(tiers[$0].description))" }.joined(separator: " | ") + " |\n"
        text += "|---|" + tiers.map { _ in "---|" }.joined() + "\n"
        func row(_ name: String, _ lines: [DemoRun.Line]) -> String {
            let cells = tiers.indices.map { tier -> String in
                let values = lines.compactMap { $0.test_accuracy_by_tier?[tier] }
                return values.isEmpty ? "-" : String(format: "%.3f", average(values))
            }
            return "| \(name) | " + cells.joined(separator: " | ") + " |\n"
        }
        text += row("warm start", (results["full"] ?? []).compactMap { $0.first { $0.epoch == 0 } })
        for arm in Self.arms {
            text += row(arm, (results[arm] ?? []).compactMap { $0.first { $0.epoch == demo.epochs } })
        }
        return text
    }

    func mean(_ runs: [[DemoRun.Line]], epoch: Int) -> Double {
        average(runs.compactMap { $0.first { $0.epoch == epoch }?.test_accuracy })
    }

    func average(_ values: [Double]) -> Double { values.isEmpty ? 0 : values.reduce(0, +) / Double(values.count) }

    func spread(_ values: [Double]) -> Double {
        guard values.count > 1 else { return 0 }
        let m = average(values)
        return (values.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(values.count - 1)).squareRoot()
    }
}
