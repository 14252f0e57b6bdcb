#if canImport(Glibc)
import SieveCore
import Glibc
#endif
import Logging

/// Shows phase progress: one line rewritten in place on a terminal, plain log lines otherwise.
final class ProgressReporter {
    private let logger: Logger
    private let interactive: Bool
    private var phaseStart: [String: Double] = [:]
    private var rowsDone: [String: Int] = [:]

    init(logger: Logger, interactive: Bool = isatty(2) != 0) {
        self.logger = logger
        self.interactive = interactive
    }

    func report(_ progress: PhaseProgress) {
        let key = "\(progress.epoch)/\(progress.phase)"
        let now = Self.seconds()
        let start = phaseStart[key] ?? now
        if phaseStart[key] == nil { phaseStart[key] = now }
        let rows = (rowsDone[key] ?? 0) + progress.rowsDone
        rowsDone[key] = rows
        let elapsed = max(now - start, 1e-6)
        let rate = Double(rows) / elapsed
        let text = "epoch \(progress.epoch) \(progress.phase): \(progress.shardsDone)/\(progress.shardsTotal) shards, \(rows) rows, \(Self.format(rate)) rows/s"
        if interactive {
            Self.writeToStandardError("\r\u{1B}[K" + text + (progress.finished ? "\n" : ""))
        } else if progress.finished {
            logger.info("\(text) (\(Self.format(elapsed)) s)")
        }
    }

    static func seconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9
    }

    static func format(_ value: Double) -> String {
        if value >= 100 { return String(Int(value.rounded())) }
        return String(Double(Int(value * 100)) / 100)
    }

    /// Straight to file descriptor 2 (C's `stderr` is a global variable Swift 6 refuses to share).
    static func writeToStandardError(_ text: String) {
        var bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeMutableBytes { write(2, $0.baseAddress! + offset, $0.count - offset) }
            if written <= 0 { return }
            offset += written
        }
    }
}
