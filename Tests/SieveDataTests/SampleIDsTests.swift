import Foundation
import XCTest
@testable import SieveData

/// `SampleIDs`, the coordinator's table of id offsets: files large enough to be scanned in
/// several pieces on several threads must give the same ids, lines and errors as one reader
/// going line by line.
final class SampleIDsTests: XCTestCase {
    private let dir = TemporaryDirectory()
    private var path: String { dir.file("samples.jsonl") }

    /// About 9 MB: three pieces or more (pieces start at 4 MiB files).
    private let rows = 90_000

    private func id(_ row: Int) -> String {
        // Every 997th id is written with escapes (a quote, a backslash, \u00e9 and a surrogate
        // pair), so the escaped path is taken in every piece.
        row % 997 == 5 ? "esc\"\\é😀-\(row)" : "sample-\(row)"
    }

    private func line(_ row: Int) -> String {
        let written = row % 997 == 5 ? "esc\\\"\\\\\\u00e9\\ud83d\\ude00-\(row)" : "sample-\(row)"
        let padding = String(repeating: "x", count: 60 + row % 40)
        return "{\"meta\": {\"id\": \"not this\"}, \"id\": \"\(written)\", \"text\": \"\(padding)\"}"
    }

    private func writeLines(_ edit: (Int, String) -> String = { $1 }) throws {
        var text = ""
        text.reserveCapacity(rows * 130)
        for row in 0..<rows { text += edit(row, line(row)) + "\n" }
        try writeText(text, to: path)
        XCTAssertGreaterThan(text.utf8.count, 8 << 20, "the file must span several pieces")
    }

    func testManyPiecesGiveEveryIDInOrderAndItsQuotedBytes() throws {
        try writeLines()
        let ids = try SampleIDs(path: path)
        XCTAssertEqual(ids.count, rows)
        for row in 0..<rows {
            XCTAssertEqual(ids[row], id(row), "row \(row)")
            var out: [UInt8] = []
            ids.appendQuoted(row, to: &out)
            XCTAssertEqual(out, Array(JSONText.quoted(id(row)).utf8), "row \(row)")
        }
        ids.releasePages(rows: 0..<rows)
        XCTAssertEqual(ids[rows - 1], id(rows - 1), "released pages read back from the file")
    }

    func testSyntaxErrorInALaterPieceNamesItsLine() throws {
        let bad = 81_234
        try writeLines { row, text in row == bad ? String(text.dropLast()) : text }
        assertDataError(try SampleIDs(path: path), fileSuffix: "samples.jsonl", line: bad + 1, messageContains: ["invalid JSON"])
    }

    func testEarliestBadLineWinsAcrossPieces() throws {
        try writeLines { row, text in row == 70_001 || row == 30_002 ? "" : text }
        assertDataError(try SampleIDs(path: path), fileSuffix: "samples.jsonl", line: 30_003, messageContains: ["empty line"])
    }

    func testDuplicateAcrossPiecesNamesTheFirstRepeatAndItsOriginal() throws {
        // Row 80,000 repeats row 3 and row 60,000 repeats row 10: the first repeat in line order
        // is the one at line 60,001.
        try writeLines { row, text in
            switch row {
            case 80_000: return self.line(3)
            case 60_000: return self.line(10)
            default: return text
            }
        }
        assertDataError(try SampleIDs(path: path), fileSuffix: "samples.jsonl", line: 60_001, field: "id",
                        messageContains: ["duplicate id \"sample-10\"", "first seen at line 11"])
    }

    func testEscapedAndPlainSpellingsOfOneIDAreDuplicates() throws {
        try writeText("{\"id\": \"caf\\u00e9\"}\n{\"id\": \"b\"}\n{\"id\": \"café\"}\n", to: path)
        assertDataError(try SampleIDs(path: path), fileSuffix: "samples.jsonl", line: 3, field: "id",
                        messageContains: ["duplicate id \"café\"", "first seen at line 1"])
    }

    func testRepeatedHashesFindsEveryRepeatAndNoOther() {
        var generator = SplitMix64Test(seed: 7)
        var hashes = (0..<200_000).map { _ in generator.next() }
        let original = hashes
        hashes[150_000] = original[17]
        hashes[199_999] = 0
        hashes[3] = 0
        hashes[100] = original[42]
        hashes[101] = original[42]
        XCTAssertEqual(SampleIDs.repeatedHashes(&hashes), [original[17], original[42], 0])
        var few: [UInt64] = [5, 9, 5]
        XCTAssertEqual(SampleIDs.repeatedHashes(&few), [5])
        var none: [UInt64] = [1, 2, 3]
        XCTAssertEqual(SampleIDs.repeatedHashes(&none), [])
    }

    func testIDsHeldInMemoryQuoteLikeJSONText() {
        let ids = SampleIDs(["plain", "with \"quote\"", "tab\t"])
        for row in 0..<3 {
            var out: [UInt8] = []
            ids.appendQuoted(row, to: &out)
            XCTAssertEqual(out, Array(JSONText.quoted(ids[row]).utf8))
        }
    }
}

/// A tiny deterministic generator for test data.
private struct SplitMix64Test {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
