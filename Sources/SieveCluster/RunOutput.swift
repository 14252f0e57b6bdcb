import SieveCore
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
    public let ids: SampleIDs
    /// Which per-row score files each epoch gets (`--scores-format`).
    public var scoresFormat: ScoresFormat = .jsonl

    public init(directory: String, ids: SampleIDs) {
        self.directory = directory
        self.ids = ids
    }

    public var runFile: String { directory + "/run.json" }
    public var journalFile: String { directory + "/journal.gsj" }

    public func epochDirectory(_ epoch: Int) -> String { directory + "/epoch-" + EpochRecord.name(epoch) }

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
        if scoresFormat.writesJSONL { try writeScores(result, to: folder + "/scores.jsonl") }
        if scoresFormat.writesNPY { try writeScoresNPY(result, to: folder + "/scores.npy") }
    }

    /// scores.npy: the same table as scores.jsonl (row i is pool row i, one field per column,
    /// little-endian Float64), as a NumPy array of a structured dtype, so that
    /// `numpy.load(path)["score"]` is every row's score. No text formatting: written at the
    /// speed of the disk.
    func writeScoresNPY(_ result: EpochResult, to path: String) throws {
        let table = result.table, width = table.columns.count
        try AtomicFile.write(to: path) { emit in
            try Self.npyHeader(columns: table.columns, rows: ids.count).withUnsafeBytes { try emit($0) }
            var piece = [Double](repeating: 0, count: Self.scoresPieceRows * width)
            for start in stride(from: 0, to: ids.count, by: Self.scoresPieceRows) {
                let count = min(Self.scoresPieceRows, ids.count - start)
                for column in 0..<width {
                    table.values[column].withUnsafeBufferPointer { source in
                        for offset in 0..<count { piece[offset * width + column] = source[start + offset] }
                    }
                }
                // Float64 is little-endian on every platform gradsieve runs on (x86-64, arm64).
                try piece.withUnsafeBytes { try emit(UnsafeRawBufferPointer(rebasing: $0[0..<(count * width * 8)])) }
            }
        }
    }

    /// The NPY 1.0 header of a 1-D array of `rows` records with one `<f8` field per column:
    /// magic, version, the header's length (u16 LE), then a Python dict literal padded with
    /// spaces and a newline so the data starts at a multiple of 64 bytes.
    static func npyHeader(columns: [String], rows: Int) -> [UInt8] {
        let fields = columns.map { "('\($0)', '<f8')" }.joined(separator: ", ")
        var dict = "{'descr': [\(fields)], 'fortran_order': False, 'shape': (\(rows),), }"
        let unpadded = 10 + dict.utf8.count + 1
        dict += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        var header: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0]
        let length = UInt16(dict.utf8.count)
        header += [UInt8(length & 0xff), UInt8(length >> 8)]
        return header + Array(dict.utf8)
    }

    /// Rows formatted per piece of scores.jsonl; pieces are formatted on every core at once and
    /// written in row order, so memory holds a few pieces, not the whole file.
    static let scoresPieceRows = 32_768

    /// scores.jsonl, the same bytes as `scoresText`, formatted in parallel and streamed.
    func writeScores(_ result: EpochResult, to path: String) throws {
        let pieces = (ids.count + Self.scoresPieceRows - 1) / Self.scoresPieceRows
        let batch = max(1, 2 * ProcessInfo.processInfo.activeProcessorCount)
        try AtomicFile.write(to: path) { emit in
            for first in stride(from: 0, to: pieces, by: batch) {
                let count = min(batch, pieces - first)
                let formatted = UnsafeMutableBufferPointer<[UInt8]>.allocate(capacity: count)
                formatted.initialize(repeating: [])
                defer { formatted.deinitialize().deallocate() }
                let slots = PieceSlots(pointer: formatted)
                DispatchQueue.concurrentPerform(iterations: count) { index in
                    let start = (first + index) * Self.scoresPieceRows
                    let rows = start..<min(start + Self.scoresPieceRows, ids.count)
                    slots.pointer[index] = scoresBytes(result, rows: rows)
                    ids.releasePages(rows: rows)
                }
                for piece in formatted { try piece.withUnsafeBytes { try emit($0) } }
            }
        }
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
        String(decoding: scoresBytes(result, rows: ids.indices), as: UTF8.self)
    }

    /// The lines of scores.jsonl for `rows`, as UTF-8 bytes appended straight into one buffer.
    func scoresBytes(_ result: EpochResult, rows: Range<Int>) -> [UInt8] {
        let table = result.table, width = table.columns.count
        // The piece's values row-major in one flat array: the loop below then reads plain
        // Doubles, not an inner array of the table (a retain and release per value).
        var flat = [Double](repeating: 0, count: rows.count * width)
        for column in 0..<width {
            table.values[column].withUnsafeBufferPointer { source in
                for (offset, row) in rows.enumerated() { flat[offset * width + column] = source[row] }
            }
        }
        let keys = table.columns.map { Array(", \(JSONText.quoted($0)): ".utf8) }
        var out: [UInt8] = []
        out.reserveCapacity(rows.count * (40 + 26 * width))
        let prefix = Array("{\"id\": ".utf8), rowKey = Array(", \"row\": ".utf8)
        for row in rows {
            out.append(contentsOf: prefix)
            ids.appendQuoted(row, to: &out)
            out.append(contentsOf: rowKey)
            Self.appendText(String(row), to: &out)
            for column in 0..<width {
                out.append(contentsOf: keys[column])
                Self.appendText(Self.number(flat[(row - rows.lowerBound) * width + column]), to: &out)
            }
            out.append(UInt8(ascii: "}"))
            out.append(UInt8(ascii: "\n"))
        }
        return out
    }

    private static func appendText(_ text: String, to out: inout [UInt8]) {
        var text = text
        text.withUTF8 { out.append(contentsOf: $0) }
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

/// The formatted pieces of one batch of scores.jsonl. `@unchecked Sendable` holds because each
/// iteration of `concurrentPerform` writes only its own slot, and the buffer is read only after
/// `concurrentPerform` returned and freed only after that.
private struct PieceSlots: @unchecked Sendable {
    let pointer: UnsafeMutableBufferPointer<[UInt8]>
}

/// Which per-row score files an epoch gets: scores.jsonl (the default), scores.npy (the same
/// table as a NumPy structured array, read in one call), both, or none (the curriculum only).
public enum ScoresFormat: String, CaseIterable, Sendable {
    case jsonl, npy, both, none

    var writesJSONL: Bool { self == .jsonl || self == .both }
    var writesNPY: Bool { self == .npy || self == .both }
}
