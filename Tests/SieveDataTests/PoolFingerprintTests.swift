import Foundation
import XCTest
@testable import SieveData

final class PoolFingerprintTests: XCTestCase {
    private func makePool(seed: UInt64 = 1) throws -> TemporaryDirectory {
        let dir = TemporaryDirectory()
        try PoolGenerator(rows: 12, dimension: 3, validationRows: 4, seed: seed, rowsPerFile: 5).write(to: dir.path)
        return dir
    }

    func testFingerprintIsStableAndIndependentOfReadingIDs() throws {
        let dir = try makePool()
        let first = try Pool.open(directory: dir.path).fingerprint
        XCTAssertEqual(try Pool.open(directory: dir.path).fingerprint, first)
        XCTAssertEqual(try Pool.open(directory: dir.path, readIDs: false).fingerprint, first)
        let twin = try makePool()
        XCTAssertEqual(try Pool.open(directory: twin.path).fingerprint, first, "same generator output, same fingerprint")
    }

    func testFingerprintChangesWhenSamplesChange() throws {
        let dir = try makePool()
        let before = try Pool.open(directory: dir.path).fingerprint
        let path = dir.file("samples.jsonl")
        var text = try String(contentsOfFile: path, encoding: .utf8)
        text = text.replacingOccurrences(of: "synthetic problem 3\"", with: "synthetic problem X\"")
        try writeText(text, to: path)
        XCTAssertNotEqual(try Pool.open(directory: dir.path).fingerprint, before)
    }

    func testFingerprintChangesWhenASignalsFileChanges() throws {
        let dir = try makePool()
        let before = try Pool.open(directory: dir.path).fingerprint
        let regenerated = try makePool(seed: 2)
        let name = "signals/part-0001.safetensors"
        try FileManager.default.removeItem(atPath: dir.file(name))
        try FileManager.default.copyItem(atPath: regenerated.file(name), toPath: dir.file(name))
        // Same shapes and sizes, but the header metadata records the seed.
        XCTAssertNotEqual(try Pool.open(directory: dir.path).fingerprint, before)
    }

    func testFingerprintChangesWhenAFileIsRenamed() throws {
        let dir = try makePool()
        let before = try Pool.open(directory: dir.path).fingerprint
        try FileManager.default.moveItem(atPath: dir.file("validation/part-0000.safetensors"), toPath: dir.file("validation/v.safetensors"))
        XCTAssertNotEqual(try Pool.open(directory: dir.path).fingerprint, before)
    }

    func testWordHasherSeparatesItemsAndTails() {
        func hash(_ items: [[UInt8]]) -> UInt64 {
            var hasher = WordHasher()
            for item in items { hasher.combine(item) }
            return hasher.value
        }
        XCTAssertNotEqual(hash([[1, 2], [3]]), hash([[1], [2, 3]]))
        XCTAssertNotEqual(hash([[0]]), hash([[0, 0]]))
        XCTAssertNotEqual(hash([Array(repeating: 0, count: 8) + [1]]), hash([Array(repeating: 0, count: 8) + [2]]))
        var high = Array(repeating: UInt8(0), count: 16)
        let base = hash([high])
        high[7] = 0x80
        XCTAssertNotEqual(hash([high]), base, "high bits of a word matter")
        XCTAssertEqual(hash([[1, 2, 3]]), hash([[1, 2, 3]]))
    }

    func testHashingInPiecesGivesTheSameHashAndVisitsEveryByteOnce() {
        for count in [0, 7, 8, 64, 65, 100, 1000] {
            let bytes = (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
            var whole = WordHasher()
            whole.combine(bytes)
            for chunk in [8, 16, 64] {
                var pieces = WordHasher()
                var visited = 0
                bytes.withUnsafeBytes { raw in pieces.combine(raw, chunk: chunk) { visited += $0.count } }
                XCTAssertEqual(pieces.value, whole.value, "\(count) bytes in \(chunk)-byte pieces")
                XCTAssertEqual(visited, count)
            }
        }
    }
}
