import Foundation
import SieveData
#if canImport(Glibc)
import Glibc
#endif

/// The files of a run in OUT: `run.json` and `epoch-NNNN/{curriculum,scores}.jsonl`. Every file
/// is written under a temporary name and renamed into place, so a reader (or a crash) never sees
/// half a file, and a failed run leaves earlier files as they were.
public struct RunOutput: Sendable {
    public let directory: String
    public let ids: [String]

    public init(directory: String, ids: [String]) {
        self.directory = directory
        self.ids = ids
    }

    public var runFile: String { directory + "/run.json" }
    public var journalFile: String { directory + "/journal.gsj" }

    public func epochDirectory(_ epoch: Int) -> String {
        let digits = String(epoch)
        return directory + "/epoch-" + String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }

    /// Refuses an OUT that already holds a run, unless `force`.
    public func checkWritable(force: Bool) throws {
        try makeDirectory(directory)
        if access(runFile, F_OK) == 0 && !force {
            throw OutputError("\(directory) already holds a run (run.json); pass --force to overwrite it")
        }
    }

    public func write(_ result: EpochResult) throws {
        let folder = epochDirectory(result.epoch)
        try makeDirectory(folder)
        try AtomicFile.write(Array(curriculumText(result).utf8), to: folder + "/curriculum.jsonl")
        try AtomicFile.write(Array(scoresText(result).utf8), to: folder + "/scores.jsonl")
    }

    /// One object per selected row, in curriculum order: id, row, rank (from 1), score.
    public func curriculumText(_ result: EpochResult) -> String {
        var text = ""
        for (index, entry) in result.curriculum.enumerated() {
            text += "{\"id\": \(JSONText.quoted(ids[entry.row])), \"row\": \(entry.row), \"rank\": \(index + 1), \"score\": \(Self.number(entry.score))}\n"
        }
        return text
    }

    /// Every row with its score and the components the method computed, in row order.
    public func scoresText(_ result: EpochResult) -> String {
        let width = result.columns.count
        let keys = result.columns.map { JSONText.quoted($0) }
        var text = ""
        text.reserveCapacity(ids.count * (40 + 24 * width))
        for row in ids.indices {
            text += "{\"id\": \(JSONText.quoted(ids[row])), \"row\": \(row)"
            for column in 0..<width {
                text += ", \(keys[column]): \(Self.number(result.values[row * width + column]))"
            }
            text += "}\n"
        }
        return text
    }

    /// The shortest text that reads back as the same Double: deterministic, and valid JSON for
    /// the finite values the coordinator accepts.
    public static func number(_ value: Double) -> String {
        "\(value)"
    }

    /// `throughput.jsonl`: every shard result with its time and worker, for `gradsieve report`.
    public func writeThroughput(_ samples: [ThroughputSample]) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let text = try samples.map { String(decoding: try encoder.encode($0), as: UTF8.self) + "\n" }.joined()
        try AtomicFile.write(text, to: directory + "/throughput.jsonl")
    }

    /// `run.json`: what ran, on what data, with which workers; written last, when the run is done.
    public func writeRunRecord(_ record: RunRecord) throws {
        try AtomicFile.write(Array(record.json.utf8), to: runFile)
    }

    /// Creates `path` and any missing parents.
    private func makeDirectory(_ path: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw OutputError("cannot create \(path): \(error.localizedDescription)")
        }
    }
}

public struct OutputError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
