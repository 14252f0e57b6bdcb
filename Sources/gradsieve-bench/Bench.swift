import ArgumentParser
import Foundation

/// `gradsieve-bench` (also run as `gradsieve bench`, which forwards here): measurements that
/// print figures. Nothing here asserts a timing; the figures go to stdout, one `result` line
/// each, for scripts/bench.sh to gather into a table.
///
/// Each result line is tab-separated: `result`, a name, the best value, the median value, the
/// unit, and a note. For rates the best is the highest, for times the lowest. The machine may
/// be shared, so every figure is repeated and both best and median are shown.
///
/// The micro-benchmarks live in this executable of their own rather than in the product's CLI
/// (issue 13): `gradsieve` keeps only the thin `bench` command that runs this one.
@main
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gradsieve-bench",
        abstract: "Measure the kernels, selection, wire and coordinator; print the figures.",
        discussion: """
        `gradsieve bench ARGS...` runs `gradsieve-bench ARGS...` (built next to gradsieve).
        Examples:
          gradsieve bench kernels --data pool-f32 --data pool-f16     # fused dot+norm vs a STREAM read
          gradsieve bench kernels --rows 262144 --dim 1024            # on heap buffers, every dtype
          gradsieve bench selection                                   # top-k, facility location, readIDs
          gradsieve bench wire                                        # frames vs raw TCP on loopback
          gradsieve bench sim-workers --connect 127.0.0.1:7070 --workers 300 --data pool
        scripts/bench.sh runs them all with the numpy baseline and an end-to-end select.
        """,
        subcommands: [BenchKernels.self, BenchSelection.self, BenchWire.self, BenchSimWorkers.self]
    )
}

/// Timing and reporting shared by the benchmarks.
enum BenchClock {
    /// Monotonic seconds.
    static func now() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9
    }

    /// Seconds taken by `body`.
    static func time(_ body: () throws -> Void) rethrows -> Double {
        let start = now()
        try body()
        return now() - start
    }

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return .nan }
        return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    }
}

enum BenchReport {
    /// One figure. `best` and `median` are in `unit`.
    static func result(_ name: String, best: Double, median: Double, unit: String, note: String = "") {
        print("result\t\(name)\t\(format(best))\t\(format(median))\t\(unit)\t\(note)")
        fflush(nil)
    }

    /// Rates from repeated times: `amount / seconds`, best is the fastest run.
    static func rate(_ name: String, amount: Double, seconds: [Double], unit: String, note: String = "") {
        let best = amount / (seconds.min() ?? .nan)
        let median = amount / BenchClock.median(seconds)
        result(name, best: best, median: median, unit: unit, note: note + " (\(seconds.count) runs)")
    }

    /// Times in seconds, best is the shortest.
    static func seconds(_ name: String, _ seconds: [Double], note: String = "") {
        result(name, best: seconds.min() ?? .nan, median: BenchClock.median(seconds), unit: "s", note: note + " (\(seconds.count) runs)")
    }

    static func format(_ value: Double) -> String {
        if !value.isFinite { return "\(value)" }
        let magnitude = abs(value)
        if magnitude >= 1e6 { return String(format: "%.4g", value) }
        if magnitude >= 100 { return String(format: "%.1f", value) }
        if magnitude >= 1 { return String(format: "%.3f", value) }
        return String(format: "%.4g", value)
    }

    /// A line for the reader, not a figure.
    static func note(_ text: String) {
        print("# \(text)")
        fflush(nil)
    }
}

/// Runs `body(thread)` on `threads` threads at once and waits for all of them.
func runOnThreads(_ threads: Int, _ body: @escaping @Sendable (Int) -> Void) {
    if threads <= 1 {
        body(0)
        return
    }
    let group = DispatchGroup()
    for index in 0..<threads {
        group.enter()
        let thread = Thread {
            body(index)
            group.leave()
        }
        thread.stackSize = 1 << 22
        thread.start()
    }
    group.wait()
}

/// A failure reported as its message (ArgumentParser prints the description and exits 1).
struct CommandFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
