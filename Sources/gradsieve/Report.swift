import ArgumentParser
import Foundation
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
    var accuracy: [String: [(epoch: Int, accuracy: Double)]] = [:]
    var throughput: [ThroughputSample] = []
    var title = ""

    var isEmpty: Bool { epochs.isEmpty && accuracy.isEmpty && throughput.isEmpty }

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
        if !own.points.isEmpty { accuracy[own.method] = own.points }
        for method in files.sorted() {
            let runs = ((try? FileManager.default.contentsOfDirectory(atPath: directory + "/" + method)) ?? []).filter { $0.hasPrefix("seed-") }
            let series = runs.map { Self.metrics(directory + "/\(method)/\($0)/metrics.jsonl").points }.filter { !$0.isEmpty }
            guard !series.isEmpty else { continue }
            let epochs = Set(series.flatMap { $0.map(\.epoch) }).sorted()
            accuracy["\(method) ×\(series.count)"] = epochs.map { epoch in
                let values = series.compactMap { $0.first { $0.epoch == epoch }?.accuracy }
                return (epoch, values.reduce(0, +) / Double(values.count))
            }
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

    static func metrics(_ path: String) -> (method: String, points: [(epoch: Int, accuracy: Double)]) {
        let rows = lines(path)
        let method = rows.first?["method"] as? String ?? "run"
        return (method, rows.compactMap { row in
            guard let epoch = row["epoch"] as? Int, let accuracy = row["test_accuracy"] as? Double else { return nil }
            return (epoch, accuracy)
        })
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
        body { font-family: system-ui, sans-serif; margin: 32px; color: #222; max-width: 1400px; }
        h1 { font-size: 22px; } h2 { font-size: 17px; margin-top: 28px; } p { max-width: 760px; line-height: 1.4; }
        .grid2 { display: flex; flex-wrap: wrap; gap: 24px; } section { flex: 0 0 660px; }
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
        if !data.accuracy.isEmpty {
            parts.append("<section><h2>Test accuracy per epoch</h2><p>Greedy-decoding accuracy on the held-out test set; epoch 0 is the warm start. ×N: the mean of N seeds.</p>\(accuracyChart)</section>")
        }
        if !data.throughput.isEmpty {
            parts.append("<section><h2>Worker throughput</h2><p>Rows each worker finished, accumulated from the first result on.</p>\(throughputChart)</section>")
        }
        return parts.joined(separator: "\n")
    }

    var summary: String {
        if data.epochs.isEmpty {
            return "A comparison of \(data.accuracy.count) method(s) from the same warm start."
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

    var accuracyChart: String {
        let series = data.accuracy.keys.sorted().map { name in
            SVGChart.Series(name: name, points: data.accuracy[name]!.map { (Double($0.epoch), $0.accuracy) })
        }
        return SVGChart.lineChart(title: "Test accuracy", xLabel: "epoch", yLabel: "accuracy", series: series)
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
