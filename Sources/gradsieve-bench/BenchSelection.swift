import ArgumentParser
import Foundation
import SieveData
import SieveKernels
import SieveSelect

/// The coordinator-side steps: top-k and full ranking of N scores, lazy-greedy facility
/// location, and reading the ids of samples.jsonl.
struct BenchSelection: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "selection",
        abstract: "Top-k and ranking of N scores, facility location, reading samples.jsonl ids.")

    @Option(help: "Scores to rank.")
    var rankingRows: Int = 10_000_000

    @Option(help: "Top-k sizes to measure, comma-separated.")
    var topK: String = "1000,100000"

    @Option(help: "Facility location: candidates.")
    var flCandidates: Int = 20_000

    @Option(help: "Facility location: dimension.")
    var flDim: Int = 1024

    @Option(help: "Facility location: budget (picks).")
    var flBudget: Int = 5_000

    @Option(help: "Facility location: read the candidates from this pool's grad rows (its first --fl-candidates rows, as unit vectors) instead of generating them.")
    var flData: String?

    @Option(help: "Facility location: GreeDi variants to run next to single greedy, comma-separated parts:unionFactor (e.g. 4:2,8:2); each prints its time and f over single greedy's.")
    var flGreedi: String = ""

    @Option(help: "Lines of samples.jsonl to read (a file is written in a temporary directory).")
    var samplesRows: Int = 1_000_000

    @Option(help: "Read this samples.jsonl instead of writing one.")
    var samples: String?

    @Option(help: "Runs of each measurement (facility location: --fl-repeats).")
    var repeats: Int = 5

    @Option(help: "Runs of facility location (it takes seconds).")
    var flRepeats: Int = 1

    @Option(help: "Which parts to run, comma-separated: ranking, facility, ids.")
    var only: String = "ranking,facility,ids"

    func run() throws {
        let parts = Set(only.split(separator: ",").map(String.init))
        if parts.contains("ranking") { ranking() }
        if parts.contains("ids") { try ids() }
        if parts.contains("facility") { try facility() }
    }

    private func ranking() {
        var generator = SplitMix64(seed: 7)
        // Cosines in [-1, 1], rounded to 2^-20 so some ties occur, as with real scores.
        let scores = (0..<rankingRows).map { _ -> Double in
            let uniform = Double(generator.next() >> 11) / Double(1 << 53)
            return ((uniform * 2 - 1) * 1_048_576).rounded() / 1_048_576
        }
        for k in topK.split(separator: ",").compactMap({ Int($0) }) {
            var picked = 0
            let times = (0..<repeats).map { _ in BenchClock.time { picked = Ranking.top(k, of: scores).count } }
            BenchReport.seconds("Ranking.top k=\(k) of N=\(rankingRows)", times, note: "\(picked) rows")
        }
        var first = 0
        let times = (0..<max(1, repeats / 2)).map { _ in BenchClock.time { first = Ranking.top(scores.count, of: scores).first ?? -1 } }
        BenchReport.seconds("Ranking.top k=N (full ranking) N=\(rankingRows)", times, note: "best row \(first)")
    }

    private func ids() throws {
        var path = samples
        var directory: String?
        if path == nil {
            let dir = NSTemporaryDirectory() + "gradsieve-bench-\(getpid())"
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            directory = dir
            let file = dir + "/samples.jsonl"
            var text = ""
            text.reserveCapacity(samplesRows * 72)
            for row in 0..<samplesRows {
                text += "{\"id\": \"gen-\(String(format: "%07d", row))\", \"cluster\": \(row % 16), \"prompt\": \"synthetic problem \(row)\"}\n"
            }
            try text.write(toFile: file, atomically: false, encoding: .utf8)
            path = file
        }
        defer { if let directory { try? FileManager.default.removeItem(atPath: directory) } }
        let size = (try? FileManager.default.attributesOfItem(atPath: path!)[.size] as? Int) ?? 0
        var count = 0
        // What the coordinator does at open: every line checked, ids located and checked unique.
        let times = try (0..<repeats).map { _ in try BenchClock.time { count = try SampleIDs(path: path!).count } }
        BenchReport.seconds("SampleIDs(path:) \(count) rows", times,
                            note: "\(String(format: "%.1f", Double(size) / 1e6)) MB, \(String(format: "%.3g", Double(count) / (times.min() ?? 1))) rows/s")
    }

    private func facility() throws {
        var vectors: [Float]
        var source = "generated, 200 clusters"
        if let path = flData {
            let pool = try Pool.open(directory: path, readIDs: false)
            guard let dimension = pool.dimension, pool.gradType != nil else { throw ValidationError("the pool at \(path) has no grad tensor") }
            let count = min(flCandidates, pool.rowCount)
            vectors = []
            for segment in pool.segments(rows: 0..<count) { vectors += pool.gradFloats(segment) }
            vectors = FacilityLocation.unitRows(vectors, dimension: dimension)
            source = "\(path), first \(count) rows, d = \(dimension)"
            return try facility(vectors: vectors, count: count, dimension: dimension, source: source)
        }
        // Clustered unit vectors, like gradients of related problems.
        var generator = SplitMix64(seed: 11)
        func uniform() -> Float { Float(Double(generator.next() >> 11) / Double(1 << 53) * 2 - 1) }
        let clusters = 200
        let centres = (0..<(clusters * flDim)).map { _ in uniform() }
        vectors = [Float](repeating: 0, count: flCandidates * flDim)
        for row in 0..<flCandidates {
            let centre = row % clusters
            for j in 0..<flDim { vectors[row * flDim + j] = centres[centre * flDim + j] + 0.6 * uniform() }
        }
        vectors = FacilityLocation.unitRows(vectors, dimension: flDim)
        try facility(vectors: vectors, count: flCandidates, dimension: flDim, source: source)
    }

    private func facility(vectors: [Float], count: Int, dimension: Int, source: String) throws {
        let rows = Array(0..<count)
        var value = 0.0
        let times = (0..<flRepeats).map { _ in
            BenchClock.time { value = FacilityLocation.greedy(rows: rows, vectors: vectors, dimension: dimension, budget: flBudget).value }
        }
        BenchReport.seconds("FacilityLocation.greedy \(count) x d=\(dimension) budget=\(flBudget)", times,
                            note: "f = \(String(format: "%.1f", value)); \(source)")
        for variant in flGreedi.split(separator: ",") {
            let fields = variant.split(separator: ":").compactMap { Int($0) }
            guard fields.count == 2, fields[0] > 0, fields[1] > 0 else { throw ValidationError("--fl-greedi takes parts:unionFactor, not \(variant)") }
            var greeDi = 0.0
            let greeDiTimes = (0..<flRepeats).map { _ in
                BenchClock.time {
                    greeDi = FacilityLocation.greeDi(rows: rows, vectors: vectors, dimension: dimension, budget: flBudget,
                                                     parts: fields[0], unionFactor: fields[1]).value
                }
            }
            BenchReport.seconds("FacilityLocation.greeDi parts=\(fields[0]) unionFactor=\(fields[1]) \(count) x d=\(dimension) budget=\(flBudget)",
                                greeDiTimes,
                                note: "f = \(String(format: "%.1f", greeDi)), \(String(format: "%.4f", greeDi / value)) of single greedy's; time \(String(format: "%.2f", (greeDiTimes.min() ?? 0) / (times.min() ?? 1))) of single greedy's (one process, every core)")
        }
    }
}
