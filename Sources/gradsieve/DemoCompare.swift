import Foundation
import Logging
import SieveData
import SievePolicy

/// `demo --compare`: every arm from the same warm start, with the same GRPO steps, the same
/// repetition and the same rollouts per step, over several seeds; tables in OUT/compare.md.
///
/// Arms: `full` (the epoch's whole pool, or chunk, in a fresh random order), `random` (a
/// uniform draw of the budget), on reversed-addition `clean` (random on a pool of clean target
/// problems only: the upper bound of what a selection could keep), then every live method.
struct DemoCompare {
    let demo: Demo
    let warm: String
    let logger: Logger

    func run() throws {
        var results: [String: [[DemoRun.Line]]] = [:]
        for arm in arms {
            for seed in 1...UInt64(demo.seeds) {
                let directory = demo.out + "/\(arm)/seed-\(seed)"
                print("compare: \(arm), seed \(seed)")
                let run: DemoRun
                switch arm {
                case "full": run = DemoRun.fullData(demo: demo, seed: seed, directory: directory, warm: warm, logger: logger)
                case "clean": run = DemoRun.cleanTarget(demo: demo, seed: seed, directory: directory, warm: warm, logger: logger)
                default: run = DemoRun(demo: demo, method: arm, seed: seed, directory: directory, warm: warm, logger: logger)
                }
                let lines = try run.run(printing: false)
                results[arm, default: []].append(lines)
                print(String(format: "  sampled test accuracy by epoch: %@   greedy: %@",
                             lines.map { String(format: "%.3f", $0.sampled_accuracy ?? 0) }.joined(separator: " "),
                             lines.map { String(format: "%.3f", $0.test_accuracy) }.joined(separator: " ")))
            }
        }
        let text = CompareTables(demo: demo, arms: arms, results: results).markdown()
        try AtomicFile.write(text, to: demo.out + "/compare.md")
        print(text)
    }

    /// The runs of a comparison: the baselines, then every live method but random.
    var arms: [String] {
        (demo.reversed ? ["full", "random", "clean"] : ["full", "random"]) + DemoRun.liveMethods.filter { $0 != "random" }
    }
}

/// The tables of compare.md, from every run's metrics lines.
struct CompareTables {
    let demo: Demo
    let arms: [String]
    let results: [String: [[DemoRun.Line]]]

    var epochs: ClosedRange<Int> { 0...demo.epochs }

    func markdown() -> String {
        var text = "# Held-out accuracy by method and epoch\n\n"
        text += "`gradsieve \(CommandLine.arguments.dropFirst().joined(separator: " "))`: task \(demo.taskFamily.rawValue), "
        let chunk: String = demo.chunkRows.map { ", a fresh chunk of \($0) scored per epoch" } ?? ", scored whole every epoch"
        text += "pool \(demo.poolRows)" + chunk
        text += ", curriculum \(demo.curriculumSize), unreliable share \(demo.noise), \(demo.epochs) epochs of \(demo.stepsPerEpoch) GRPO steps "
        text += "(batch \(demo.batch), \(demo.rollouts) rollouts, \(demo.pass) pass(es), lr \(demo.lr)), \(demo.workers) workers, "
        text += "\(demo.seeds) seed(s). Epoch 0 is the shared warm start. Every arm takes the same steps. "
        text += "`full`: the epoch's whole pool in a fresh random order; `random`: a uniform draw of the curriculum size"
        text += demo.reversed ? "; `clean`: random on a pool of clean target problems only (the upper bound of a selection). " : ". "
        text += "Test: \(demo.test) held-out clean problems; sampled accuracy is the share of \(demo.evalSamples) answers per problem "
        text += "(temperature 1) that are right, greedy accuracy the share of greedy answers. \(standardErrorNote())\n\n"
        text += "## Sampled test accuracy (primary)\n\n" + curveTable(\.sampled_accuracy)
        text += "\n## Greedy test accuracy\n\n" + curveTable { $0.test_accuracy }
        text += "\n## Paired difference against random after epoch \(demo.epochs)\n\n" + pairedTable()
        text += "\n## At equal rollouts (scoring counted)\n\n" + rolloutsTable()
        text += "\n## What each curriculum picked\n\n" + pickedTable()
        text += "\n## Test accuracy by tier after epoch \(demo.epochs)\n\n" + tierTable()
        text += "\n## Per run (sampled test accuracy after epochs 0 to \(demo.epochs))\n\n"
        text += "| arm | " + (1...demo.seeds).map { "seed \($0)" }.joined(separator: " | ") + " |\n"
        text += "|---|" + (1...demo.seeds).map { _ in "---|" }.joined() + "\n"
        for arm in arms {
            let runs = results[arm] ?? []
            text += "| \(arm) | " + runs.map { $0.map { String(format: "%.3f", $0.sampled_accuracy ?? 0) }.joined(separator: " ") }
                .joined(separator: " | ") + " |\n"
        }
        return text
    }

    /// One standard error of the warm start's sampled and greedy accuracy on this test set.
    func standardErrorNote() -> String {
        guard let warm = results[arms[0]]?.first?.first else { return "" }
        let n = Double(demo.test)
        let greedy = (warm.test_accuracy * (1 - warm.test_accuracy) / n).squareRoot()
        // Samples of one problem are correlated; the bound below treats each problem's mean as
        // one draw, which is conservative (at most the binomial error of n problems).
        let p = warm.sampled_accuracy ?? 0
        let sampled = (p * (1 - p) / n).squareRoot()
        return String(format: "One standard error at the warm start: greedy %.3f, sampled at most %.3f.", greedy, sampled)
    }

    func values(_ arm: String, epoch: Int, _ metric: (DemoRun.Line) -> Double?) -> [Double] {
        (results[arm] ?? []).compactMap { $0.first { $0.epoch == epoch }.flatMap(metric) }
    }

    func curveTable(_ metric: (DemoRun.Line) -> Double?) -> String {
        var text = "| arm | " + epochs.map { "epoch \($0)" }.joined(separator: " | ") + " |\n"
        text += "|---|" + epochs.map { _ in "---|" }.joined() + "\n"
        for arm in arms {
            text += "| \(arm) | " + epochs.map { epoch -> String in
                let v = values(arm, epoch: epoch, metric)
                return v.isEmpty ? "-" : String(format: "%.3f ± %.3f", Stats.mean(v), Stats.sd(v))
            }.joined(separator: " | ") + " |\n"
        }
        return text + "\n(mean ± standard deviation over seeds)\n"
    }

    /// Per seed, arm minus random on the same seed (same pool, test set and warm start), then
    /// the mean with a 95% t interval over seeds.
    func pairedTable() -> String {
        var text = "| arm | sampled: mean difference [95% CI] | greedy: mean difference [95% CI] | seeds better than random |\n|---|---|---|---|\n"
        for arm in arms where arm != "random" {
            let sampled = differences(arm, epoch: demo.epochs, \.sampled_accuracy)
            let greedy = differences(arm, epoch: demo.epochs) { $0.test_accuracy }
            text += "| \(arm) | \(Stats.interval(sampled)) | \(Stats.interval(greedy)) | \(sampled.filter { $0 > 0 }.count) of \(sampled.count) |\n"
        }
        text += "\n(an interval that excludes 0 is a difference this many seeds can tell from noise. Seeds change the pool, the "
        text += "test set and every rollout; all arms and seeds share one warm start, so the interval leaves out how the warm "
        text += "start itself varies with the warm-up's seed.)\n"
        return text
    }

    func differences(_ arm: String, epoch: Int, _ metric: (DemoRun.Line) -> Double?) -> [Double] {
        let a = values(arm, epoch: epoch, metric), r = values("random", epoch: epoch, metric)
        return zip(a, r).map { $0 - $1 }
    }

    /// Each arm at the last epoch where it has spent no more rollouts than random spends in the
    /// whole run (epoch 0, the warm start, when even its first epoch costs more), paired with
    /// random's final accuracy on the same seed: a comparison that never gives the arm more
    /// rollouts than random had.
    func rolloutsTable() -> String {
        let budget = (results["random"] ?? []).first?.last?.rollouts ?? 0
        var text = "Random spends \(budget) rollouts in \(demo.epochs) epochs, all of them training. For each arm: its rollouts "
        text += "per epoch, and its sampled accuracy at the last epoch where it has spent at most that many (epoch 0, the warm "
        text += "start, when one epoch already costs more), paired with random's final accuracy on the same seed.\n\n"
        text += "| arm | rollouts per epoch (training + scoring) | last epoch within random's rollouts | its rollouts there | sampled there | difference vs random [95% CI] |\n|---|---|---|---|---|---|\n"
        for arm in arms {
            let runs = results[arm] ?? []
            guard let first = runs.first, first.count > 1 else { continue }
            let perEpoch = (first.last!.rollouts ?? 0) / max(1, first.count - 1)
            let within = first.last { ($0.rollouts ?? 0) <= budget } ?? first[0]
            let here = values(arm, epoch: within.epoch, \.sampled_accuracy)
            let random = values("random", epoch: demo.epochs, \.sampled_accuracy)
            let diffs = zip(here, random).map { $0 - $1 }
            text += "| \(arm) | \(perEpoch) | \(within.epoch) | \(within.rollouts ?? 0) | \(String(format: "%.3f", Stats.mean(here))) | \(Stats.interval(diffs)) |\n"
        }
        return text
    }

    /// Share of each pool component in the curricula, over every epoch and seed.
    func pickedTable() -> String {
        let names = TaskComponent.allCases.map(\.rawValue)
        var text = "| arm | " + names.joined(separator: " | ") + " |\n|---|" + names.map { _ in "---|" }.joined() + "\n"
        for arm in arms {
            var totals = [String: Int](), all = 0
            for run in results[arm] ?? [] {
                for line in run { for (name, count) in line.picked ?? [:] { totals[name, default: 0] += count; all += count } }
            }
            text += "| \(arm) | " + names.map { all == 0 ? "-" : String(format: "%.2f", Double(totals[$0] ?? 0) / Double(all)) }
                .joined(separator: " | ") + " |\n"
        }
        return text + "\n(share of curriculum rows, all epochs and seeds)\n"
    }

    func tierTable() -> String {
        let names = demo.reversed ? ReversedAdditionTasks.tierNames : ArithmeticTasks.tiers.map(\.description)
        let tiers = demo.reversed ? 0..<4 : 0..<names.count
        var text = "Greedy accuracy; " + (demo.reversed ? "tiers are the carries of the sum.\n\n" : "tier 0 is the easiest.\n\n")
        text += "| arm | " + tiers.map { names[$0] }.joined(separator: " | ") + " |\n|---|" + tiers.map { _ in "---|" }.joined() + "\n"
        func row(_ name: String, _ lines: [DemoRun.Line]) -> String {
            "| \(name) | " + tiers.map { tier -> String in
                let v = lines.compactMap { $0.test_accuracy_by_tier?[tier] ?? nil }
                return v.isEmpty ? "-" : String(format: "%.3f", Stats.mean(v))
            }.joined(separator: " | ") + " |\n"
        }
        text += row("warm start", (results[arms[0]] ?? []).compactMap { $0.first { $0.epoch == 0 } })
        for arm in arms { text += row(arm, (results[arm] ?? []).compactMap { $0.first { $0.epoch == demo.epochs } }) }
        return text
    }
}

/// Means, spreads and t intervals over seeds.
enum Stats {
    static func mean(_ v: [Double]) -> Double { v.isEmpty ? 0 : v.reduce(0, +) / Double(v.count) }

    /// Sample standard deviation (0 for fewer than two values).
    static func sd(_ v: [Double]) -> Double {
        guard v.count > 1 else { return 0 }
        let m = mean(v)
        return (v.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(v.count - 1)).squareRoot()
    }

    /// The 97.5% quantile of Student's t with `df` degrees of freedom (a two-sided 95% interval):
    /// the table to 30, then the Cornish-Fisher expansion around the normal's 1.96 (within 0.001
    /// of the exact value from df 30 on).
    static func t975(_ df: Int) -> Double {
        let table = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
                     2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
                     2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042]
        precondition(df >= 1, "a t interval needs at least two values")
        if df <= table.count { return table[df - 1] }
        let z = 1.959964, n = Double(df)
        return z + (z * z * z + z) / (4 * n) + (5 * pow(z, 5) + 16 * z * z * z + 3 * z) / (96 * n * n)
    }

    /// The mean with its 95% confidence interval, e.g. "+0.031 [+0.012, +0.050]".
    static func interval(_ v: [Double]) -> String {
        guard !v.isEmpty else { return "-" }
        let m = mean(v)
        guard v.count > 1 else { return String(format: "%+.3f (one seed)", m) }
        let half = t975(v.count - 1) * sd(v) / Double(v.count).squareRoot()
        return String(format: "%+.3f [%+.3f, %+.3f]", m, m - half, m + half)
    }
}
