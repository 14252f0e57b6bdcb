import Foundation
import Logging

/// `demo --compare`: random and every live method from the same warm start, with the same
/// number of GRPO steps and rollouts, over several seeds; a table in OUT/compare.md.
struct DemoCompare {
    let demo: Demo
    let warm: String
    let logger: Logger

    func run() throws {
        var results: [String: [[DemoRun.Line]]] = [:]
        for method in DemoRun.liveMethods {
            for seed in 1...UInt64(demo.seeds) {
                let directory = demo.out + "/\(method)/seed-\(seed)"
                print("compare: \(method), seed \(seed)")
                let lines = try DemoRun(demo: demo, method: method, seed: seed, directory: directory, warm: warm, logger: logger).run(printing: false)
                results[method, default: []].append(lines)
                print(String(format: "  test accuracy by epoch: %@", lines.map { String(format: "%.3f", $0.test_accuracy) }.joined(separator: " ")))
            }
        }
        let text = table(results)
        try text.write(toFile: demo.out + "/compare.md", atomically: true, encoding: .utf8)
        print(text)
    }

    /// Mean and spread (sample standard deviation) of test accuracy per method and epoch, and the
    /// first epoch at which each method's mean reaches random's final mean accuracy.
    func table(_ results: [String: [[DemoRun.Line]]]) -> String {
        let epochs = 0...demo.epochs
        var text = "# Test accuracy by method and epoch\n\n"
        text += "`gradsieve demo --compare --out \(demo.out) --seeds \(demo.seeds)` (pool \(demo.pool), budget \(demo.budget), "
        text += "label noise \(demo.labelNoise), \(demo.epochs) epochs, \(demo.passes) passes, batch \(demo.batch), \(demo.rollouts) rollouts, \(demo.workers) workers). "
        text += "Mean ± standard deviation over \(demo.seeds) seed(s); epoch 0 is the shared warm start. Every method takes the same "
        text += "number of GRPO steps and rollouts per epoch; `random` is the full-data baseline at equal steps (a uniform draw "
        text += "from the whole pool each epoch). `limr` builds its reward history from each epoch's success and trains on random's "
        text += "draw for its first \(demo.limrHistoryEpochs) epoch(s), so it matches random until then.\n\n"
        text += "| method | " + epochs.map { "epoch \($0)" }.joined(separator: " | ") + " | steps to random's final accuracy |\n"
        text += "|---|" + epochs.map { _ in "---|" }.joined() + "---|\n"
        let target = mean(results["random"] ?? [], epoch: demo.epochs)
        let stepsPerEpoch = (demo.budget * demo.passes + demo.batch - 1) / demo.batch
        for method in DemoRun.liveMethods {
            let runs = results[method] ?? []
            let cells = epochs.map { epoch -> String in
                let values = runs.compactMap { $0.first { $0.epoch == epoch }?.test_accuracy }
                return String(format: "%.3f ± %.3f", average(values), spread(values))
            }
            let reach = epochs.dropFirst().first { mean(runs, epoch: $0) >= target }.map { "\($0 * stepsPerEpoch)" } ?? "not reached"
            text += "| \(method) | " + cells.joined(separator: " | ") + " | \(reach) |\n"
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
