import ArgumentParser
import Foundation
import SievePolicy
import SieveCore
import SieveCluster
import SieveData

struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write OUT/report.html: score distributions, curriculum overlap, accuracy and worker throughput.",
        discussion: """
        One self-contained HTML file with inline SVG charts, from what a run left in OUT
        (epoch-NNNN/scores.jsonl and curriculum.jsonl, metrics.jsonl, throughput.jsonl, and the
        method/seed-N/ runs of `demo --compare`).
        Example:
          gradsieve report demo-out
        """)

    @Argument(help: "A run's output directory.")
    var out: String

    func run() throws {
        let data = try ReportData(directory: out)
        guard !data.isEmpty else { throw CommandFailure("\(out) holds no run output (no epoch-NNNN/, metrics.jsonl or compare runs)") }
        let html = ReportPage(data: data).html
        try AtomicFile.write(html, to: out + "/report.html")
        print("wrote \(out)/report.html")
    }
}

/// What the report reads from OUT.
struct ReportData {
    var epochs: [Int] = []
    var scores: [Int: [Double]] = [:]
    var curricula: [Int: Set<Int>] = [:]
    /// metrics.jsonl lines by arm: a demo directory's own method, or each arm of a compare
    /// directory with one run per seed.
    var runs: [String: [[MetricsLine]]] = [:]
    var throughput: [ThroughputSample] = []
    var title = ""

    var isEmpty: Bool { epochs.isEmpty && runs.isEmpty && throughput.isEmpty }

    struct MetricsLine {
        var epoch: Int
        var greedy: Double
        var sampled: Double?
        var picked: [String: Int]?
    }

    init(directory: String) throws {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        title = URL(fileURLWithPath: directory).lastPathComponent
        // A run.json names the run's epochs; epoch directories beyond them are an older run's.
        let recorded = (FileManager.default.contents(atPath: directory + "/run.json")
            .flatMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] }?["epochs"] as? [[String: Any]])?
            .compactMap { $0["epoch"] as? Int }
        for name in files.sorted() where name.hasPrefix("epoch-") {
            guard let epoch = Int(name.dropFirst(6)), recorded?.contains(epoch) ?? true else { continue }
            epochs.append(epoch)
            scores[epoch] = Self.lines(directory + "/\(name)/scores.jsonl").compactMap { $0["score"] as? Double }
            curricula[epoch] = Set(Self.lines(directory + "/\(name)/curriculum.jsonl").compactMap { $0["row"] as? Int })
        }
        let own = Self.metrics(directory + "/metrics.jsonl")
        if !own.lines.isEmpty { runs[own.method] = [own.lines] }
        for method in files.sorted() {
            let seeds = ((try? FileManager.default.contentsOfDirectory(atPath: directory + "/" + method)) ?? [])
                .filter { $0.hasPrefix("seed-") }.sorted { (Int($0.dropFirst(5)) ?? 0) < (Int($1.dropFirst(5)) ?? 0) }
            let series = seeds.map { Self.metrics(directory + "/\(method)/\($0)/metrics.jsonl").lines }.filter { !$0.isEmpty }
            if !series.isEmpty { runs[method] = series }
        }
        throughput = Self.lines(directory + "/throughput.jsonl").compactMap { object in
            guard let data = try? JSONSerialization.data(withJSONObject: object) else { return nil }
            return try? JSONDecoder().decode(ThroughputSample.self, from: data)
        }
    }

    static func lines(_ path: String) -> [[String: Any]] {
        guard let data = FileManager.default.contents(atPath: path) else { return [] }
        return data.split(separator: UInt8(ascii: "\n")).compactMap { try? JSONSerialization.jsonObject(with: Data($0)) as? [String: Any] }
    }

    static func metrics(_ path: String) -> (method: String, lines: [MetricsLine]) {
        let rows = lines(path)
        let method = rows.first?["method"] as? String ?? "run"
        return (method, rows.compactMap { row in
            guard let epoch = row["epoch"] as? Int, let accuracy = row["test_accuracy"] as? Double else { return nil }
            return MetricsLine(epoch: epoch, greedy: accuracy, sampled: row["sampled_accuracy"] as? Double,
                               picked: row["picked"] as? [String: Int])
        })
    }

    /// The arms in a reading order: baselines first, then methods by name.
    var arms: [String] {
        let first = ["full", "random", "clean"]
        return first.filter { runs[$0] != nil } + runs.keys.filter { !first.contains($0) }.sorted()
    }

    /// Mean over runs of a metric at every epoch the runs have.
    func curve(_ arm: String, _ metric: (MetricsLine) -> Double?) -> [(x: Double, y: Double)] {
        let series = runs[arm] ?? []
        let epochs = Set(series.flatMap { $0.map(\.epoch) }).sorted()
        return epochs.compactMap { epoch in
            let values = series.compactMap { $0.first { $0.epoch == epoch }.flatMap(metric) }
            return values.isEmpty ? nil : (Double(epoch), values.reduce(0, +) / Double(values.count))
        }
    }
}

/// The page: four charts with a sentence each on how to read them.
struct ReportPage {
    let data: ReportData

    var html: String {
        """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>gradsieve report: \(SVGChart.escape(data.title))</title>
        <style>
        body { font-family: system-ui, sans-serif; margin: 24px 32px; color: #222; }
        h1 { font-size: 22px; } h2 { font-size: 17px; margin-top: 28px; } p { max-width: 900px; line-height: 1.4; }
        .grid2 { display: flex; flex-wrap: wrap; gap: 24px; } section { flex: 1 1 600px; min-width: 0; max-width: 1100px; }
        section.wide { flex-basis: 100%; } svg { display: block; height: auto; }
        .title { font-size: 14px; font-weight: 600; } .tick { font-size: 11px; fill: #555; } .label { font-size: 12px; fill: #333; }
        .legend { font-size: 12px; } .cell { font-size: 11px; fill: #111; } .grid { stroke: #e6e6e6; } .axis { stroke: #888; }
        .empty { color: #888; font-style: italic; }
        </style></head><body>
        <h1>gradsieve report: \(SVGChart.escape(data.title))</h1>
        <p>\(summary)</p>
        <div class="grid2">
        \(sections)
        </div></body></html>

        """
    }

    /// Only the charts this OUT has data for.
    var sections: String {
        var parts: [String] = []
        if !data.scores.isEmpty {
            parts.append("<section><h2>Score distribution per epoch</h2><p>How the method's scores spread over the pool; the curriculum is taken from the high end.</p>\(scoreChart)</section>")
        }
        if data.curricula.count > 1 {
            parts.append("<section><h2>Curriculum overlap between epochs</h2><p>Jaccard overlap of the selected rows: 1 means the same curriculum, 0 none in common.</p>\(overlapChart)</section>")
        }
        if !data.runs.isEmpty {
            let seeds = data.runs.values.map(\.count).max() ?? 1
            let mean = seeds > 1 ? " Lines are the mean of \(seeds) seeds." : ""
            if data.runs.values.contains(where: { $0.contains { $0.contains { $0.sampled != nil } } }) {
                parts.append("<section><h2>Held-out sampled accuracy per epoch</h2><p>The share of sampled answers (temperature 1) to held-out test problems that are right: the primary metric. The dashed line is the warm start (epoch 0).\(mean)</p>\(accuracyChart(sampled: true))</section>")
            }
            parts.append("<section><h2>Held-out greedy accuracy per epoch</h2><p>Greedy-decoding accuracy on the same test problems; the dashed line is the warm start.\(mean)</p>\(accuracyChart(sampled: false))</section>")
            if data.runs["random"] != nil && data.runs.count > 1 {
                parts.append("<section class=\"wide\"><h2>Paired difference against random after the last epoch</h2><p>Per seed, the arm's held-out accuracy minus random's on the same seed (same pool, test set and warm start); the dot is the mean, the whisker its 95% t interval over seeds. An interval that excludes 0 is a difference the seeds can tell from noise.</p>\(differenceChart)</section>")
            }
            if data.runs.values.contains(where: { $0.contains { $0.contains { $0.picked != nil } } }) {
                parts.append("<section class=\"wide\"><h2>What each curriculum picked</h2><p>Share of curriculum rows from each component of the pool, over every epoch (and seed): why a method wins or loses.</p>\(pickedChart)</section>")
            }
        }
        if !data.throughput.isEmpty {
            parts.append("<section><h2>Worker throughput</h2><p>Rows each worker finished, accumulated from the first result on.</p>\(throughputChart)</section>")
        }
        return parts.joined(separator: "\n")
    }

    var summary: String {
        if data.epochs.isEmpty {
            return "A comparison of \(data.runs.count) arm(s) from the same warm start."
        }
        let rows = data.scores.values.first?.count ?? 0
        let selected = data.curricula.values.first?.count ?? 0
        let workers = Set(data.throughput.map(\.worker)).count
        return "\(data.epochs.count) epoch(s); \(rows) rows scored and \(selected) selected per epoch; \(workers) worker(s)."
    }

    var scoreChart: String {
        let series = data.epochs.compactMap { epoch -> SVGChart.Series? in
            guard let scores = data.scores[epoch], let low = scores.min(), let high = scores.max() else { return nil }
            let bins = 30, width = max((high - low) / Double(bins), 1e-12)
            var counts = [Double](repeating: 0, count: bins)
            for score in scores { counts[min(Int((score - low) / width), bins - 1)] += 1 }
            return SVGChart.Series(name: "epoch \(epoch)", points: counts.enumerated().map { (low + (Double($0.offset) + 0.5) * width, $0.element) })
        }
        return SVGChart.lineChart(title: "Scores (30 bins)", xLabel: "score", yLabel: "rows", series: series)
    }

    var overlapChart: String {
        let epochs = data.epochs.filter { !(data.curricula[$0]?.isEmpty ?? true) }
        let values = epochs.map { a in
            epochs.map { b -> Double in
                let x = data.curricula[a]!, y = data.curricula[b]!
                return Double(x.intersection(y).count) / Double(max(x.union(y).count, 1))
            }
        }
        return SVGChart.heatmap(title: "Jaccard overlap", labels: epochs.map { "ep \($0)" }, values: values)
    }

    func accuracyChart(sampled: Bool) -> String {
        let metric: (ReportData.MetricsLine) -> Double? = sampled ? { $0.sampled } : { $0.greedy }
        var series = data.arms.map { arm in
            SVGChart.Series(name: data.runs[arm]!.count > 1 ? "\(arm) ×\(data.runs[arm]!.count)" : arm, points: data.curve(arm, metric),
                            color: color(arm))
        }.filter { !$0.points.isEmpty }
        // The warm start: epoch 0, the same for every arm of a seed.
        let warm = data.arms.flatMap { data.curve($0, metric).filter { $0.x == 0 } }.first
        let last = series.flatMap { $0.points.map(\.x) }.max() ?? 1
        if let warm {
            series.append(SVGChart.Series(name: "warm start", points: [(0, warm.y), (last, warm.y)], dashed: true, color: "#777"))
        }
        return SVGChart.lineChart(title: sampled ? "Sampled test accuracy" : "Greedy test accuracy", xLabel: "epoch",
                                  yLabel: "accuracy", series: series)
    }

    /// One colour per arm, the same in every chart.
    func color(_ arm: String) -> String {
        SVGChart.palette[(data.arms.firstIndex(of: arm) ?? 0) % SVGChart.palette.count]
    }

    var differenceChart: String {
        let random = data.runs["random"] ?? []
        let sampled = random.contains { $0.contains { $0.sampled != nil } }
        let rows = data.arms.filter { $0 != "random" }.compactMap { arm -> (name: String, mean: Double, low: Double, high: Double)? in
            let diffs = zip(data.runs[arm] ?? [], random).compactMap { a, r -> Double? in
                guard let x = a.last, let y = r.last, x.epoch == y.epoch else { return nil }
                return sampled ? (x.sampled ?? 0) - (y.sampled ?? 0) : x.greedy - y.greedy
            }
            guard !diffs.isEmpty else { return nil }
            let mean = Stats.mean(diffs)
            let half = diffs.count > 1 ? Stats.t975(diffs.count - 1) * Stats.sd(diffs) / Double(diffs.count).squareRoot() : 0
            return (arm, mean, mean - half, mean + half)
        }
        return SVGChart.intervals(title: "\(sampled ? "Sampled" : "Greedy") accuracy minus random's, same seed",
                                  xLabel: "difference in held-out accuracy", rows: rows, colors: rows.map { color($0.name) })
    }

    var pickedChart: String {
        let parts = TaskComponent.allCases.map(\.rawValue)
        let rows = data.arms.compactMap { arm -> (name: String, shares: [Double])? in
            var totals = [String: Int]()
            for run in data.runs[arm] ?? [] { for line in run { for (k, v) in line.picked ?? [:] { totals[k, default: 0] += v } } }
            let all = totals.values.reduce(0, +)
            guard all > 0 else { return nil }
            return (arm, parts.map { Double(totals[$0] ?? 0) / Double(all) })
        }
        return SVGChart.stackedBars(title: "Curriculum rows by pool component", parts: parts, rows: rows)
    }

    var throughputChart: String {
        let workers = Set(data.throughput.map(\.worker)).sorted()
        // Time from the first result, not from the coordinator's start (which includes waiting for workers).
        let origin = data.throughput.map(\.seconds).min() ?? 0
        let series = workers.map { worker -> SVGChart.Series in
            let name = String(worker.split(separator: "@").first ?? Substring(worker))
            var total = 0.0
            let points = [(x: 0.0, y: 0.0)] + data.throughput.filter { $0.worker == worker }.map { sample -> (x: Double, y: Double) in
                total += Double(sample.rows)
                return (sample.seconds - origin, total)
            }
            return SVGChart.Series(name: name, points: points, stepped: true)
        }
        return SVGChart.lineChart(title: "Cumulative rows per worker", xLabel: "seconds", yLabel: "rows", series: series)
    }
}
