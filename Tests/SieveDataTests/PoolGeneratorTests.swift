import Foundation
import XCTest
@testable import SieveData
import SieveKernels

final class PoolGeneratorTests: XCTestCase {
    /// All files of a pool, by relative path, with their bytes.
    private func contents(_ directory: String) throws -> [String: Data] {
        var result: [String: Data] = [:]
        let enumerator = FileManager.default.enumerator(atPath: directory)!
        while let relative = enumerator.nextObject() as? String {
            var isDirectory: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: directory + "/" + relative, isDirectory: &isDirectory)
            if !isDirectory.boolValue { result[relative] = try Data(contentsOf: URL(fileURLWithPath: directory + "/" + relative)) }
        }
        return result
    }

    func testSameSeedGivesByteIdenticalFiles() throws {
        for dtype in [DType.f32, .f16, .bf16] {
            let a = TemporaryDirectory(), b = TemporaryDirectory()
            let generator = PoolGenerator(rows: 30, dimension: 5, dtype: dtype, validationRows: 7, seed: 42, rowsPerFile: 11)
            try generator.write(to: a.path)
            try generator.write(to: b.path)
            let filesA = try contents(a.path)
            XCTAssertEqual(Set(filesA.keys), ["samples.jsonl", "signals/part-0000.safetensors", "signals/part-0001.safetensors",
                                              "signals/part-0002.safetensors", "validation/part-0000.safetensors"])
            XCTAssertEqual(filesA, try contents(b.path))
        }
    }

    func testDifferentSeedGivesDifferentSignals() throws {
        let a = TemporaryDirectory(), b = TemporaryDirectory()
        try PoolGenerator(rows: 30, dimension: 5, seed: 1).write(to: a.path)
        try PoolGenerator(rows: 30, dimension: 5, seed: 2).write(to: b.path)
        let filesA = try contents(a.path), filesB = try contents(b.path)
        XCTAssertNotEqual(filesA["signals/part-0000.safetensors"], filesB["signals/part-0000.safetensors"])
        XCTAssertNotEqual(filesA["validation/part-0000.safetensors"], filesB["validation/part-0000.safetensors"])
    }

    func testKnownValuesPinTheGeneratorAcrossMachines() throws {
        // Pins the PRNG, the normal sampler and the model: if these change,
        // pools generated on different machines or versions would differ.
        var generator = Xoshiro256StarStar(seed: 0)
        XCTAssertEqual((0..<3).map { _ in generator.next() }, [0x99EC5F36CB75F2B4, 0xBF6E1F784956452A, 0x1A5F849D4933E6E0])
        var expander = SplitMix64(seed: 0)
        XCTAssertEqual(expander.next(), 0xE220A8397B1DCDAF)
        let dir = TemporaryDirectory()
        try PoolGenerator(rows: 3, dimension: 2, validationRows: 1, seed: 9).write(to: dir.path)
        let pool = try Pool.open(directory: dir.path)
        let grad = pool.gradFloats(pool.segments(rows: 0..<3)[0])
        XCTAssertEqual(grad.count, 6)
        XCTAssertEqual(grad.map(\.bitPattern), [0xBE99_218E, 0x3F80_1E12, 0xBF18_377B, 0xBEB5_BE8F, 0x3FA8_D872, 0x3FE5_7FD3])
        XCTAssertEqual(pool.float("success", row: 1)?.bitPattern, 1_046_618_523)
        XCTAssertEqual(pool.fingerprint, 0x8425_5B1B_08D1_A8B3, "the fingerprint of a given pool must not change between versions")
        XCTAssertEqual(pool.fingerprint, try Pool.open(directory: dir.path, readIDs: false).fingerprint)
    }

    func testGeneratedSignalsHaveTheDocumentedShape() throws {
        let dir = TemporaryDirectory()
        let rows = 4000, d = 16
        try PoolGenerator(rows: rows, dimension: d, validationRows: 200, seed: 5, rowsPerFile: 1500, clusters: 8, rewardEpochs: 4).write(to: dir.path)
        let pool = try Pool.open(directory: dir.path)
        var grads: [Float] = [], success: [Float] = [], rewards: [Float] = [], angle: [Float] = []
        for segment in pool.segments(rows: 0..<rows) {
            grads += pool.gradFloats(segment)
            pool.appendFloats("success", segment, to: &success)
            pool.appendFloats("rewards", segment, to: &rewards)
            pool.appendFloats("angle", segment, to: &angle)
        }
        let zeroRows = (0..<rows).filter { r in grads[(r * d)..<((r + 1) * d)].allSatisfy { $0 == 0 } }.count
        XCTAssertTrue((10...80).contains(zeroRows), "about 1% zero gradients, got \(zeroRows)")
        let zeros = success.filter { $0 == 0 }.count, ones = success.filter { $0 == 1 }.count
        XCTAssertTrue((300...500).contains(zeros) && (300...500).contains(ones), "about 10% each, got \(zeros) and \(ones)")
        XCTAssertTrue(success.allSatisfy { (0...1).contains($0) })
        XCTAssertEqual(rewards.count, rows * 4)
        XCTAssertTrue(rewards.allSatisfy { (0...1).contains($0) })
        XCTAssertTrue(angle.allSatisfy { (0...1).contains($0) })
        // Last epoch's reward is close to the success rate (the trend ends there).
        let gap = (0..<rows).map { abs(rewards[$0 * 4 + 3] - success[$0]) }.reduce(0, +) / Float(rows)
        XCTAssertLessThan(gap, 0.01)
        let clusters = try clustersOfSamples(dir.path)
        XCTAssertEqual(clusters.count, rows)
        XCTAssertEqual(Set(clusters), Set(0..<8))
    }

    func testValidationRowsAlignWithTrustedClustersOnly() throws {
        let dir = TemporaryDirectory()
        let rows = 800, d = 64
        try PoolGenerator(rows: rows, dimension: d, validationRows: 64, seed: 11, clusters: 8).write(to: dir.path)
        let pool = try Pool.open(directory: dir.path)
        let grads = pool.gradFloats(pool.segments(rows: 0..<rows)[0])
        let validation = pool.validationSegments(rows: 0..<64).flatMap { pool.gradFloats($0, validation: true) }
        var mean = [Float](repeating: 0, count: d)
        for r in 0..<64 { for j in 0..<d { mean[j] += validation[r * d + j] / 64 } }
        let clusters = try clustersOfSamples(dir.path)
        var trusted: [Float] = [], other: [Float] = []
        for r in 0..<rows {
            let row = Array(grads[(r * d)..<((r + 1) * d)])
            let norm = row.reduce(0) { $0 + $1 * $1 }.squareRoot()
            guard norm > 0 else { continue }
            let alignment = zip(row, mean).reduce(0) { $0 + $1.0 * $1.1 } / norm
            if clusters[r] < 2 { trusted.append(alignment) } else { other.append(alignment) }
        }
        let trustedMean = trusted.reduce(0, +) / Float(trusted.count)
        let otherMean = other.reduce(0, +) / Float(other.count)
        XCTAssertGreaterThan(trustedMean, otherMean + 0.1, "trusted clusters align with validation: \(trustedMean) vs \(otherMean)")
    }

    func testExistingPoolIsRefusedUnlessOverwriting() throws {
        let dir = TemporaryDirectory()
        try PoolGenerator(rows: 20, dimension: 3, rowsPerFile: 5).write(to: dir.path)
        assertDataError(try PoolGenerator(rows: 20, dimension: 3).write(to: dir.path), fileSuffix: "samples.jsonl",
                        messageContains: ["overwrite"])
        try PoolGenerator(rows: 8, dimension: 3, validationRows: 0, overwrite: true).write(to: dir.path)
        let pool = try Pool.open(directory: dir.path)
        XCTAssertEqual(pool.rowCount, 8)
        XCTAssertEqual(pool.signalFiles.count, 1, "old part files are removed")
        XCTAssertFalse(pool.hasValidation)
    }

    func testStraySignalsFilesAreNotDeletedWithoutOverwrite() throws {
        let dir = TemporaryDirectory()
        try writeTensors(dir.file("signals/mine.safetensors"), [.i64("row", [0])])
        try writeText("keep", to: dir.file("validation/notes.txt"))
        assertDataError(try PoolGenerator(rows: 4, dimension: 2).write(to: dir.path), fileSuffix: "/signals",
                        messageContains: ["overwrite"])
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir.file("signals/mine.safetensors")))
        try PoolGenerator(rows: 4, dimension: 2, validationRows: 0, overwrite: true).write(to: dir.path)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.file("signals/mine.safetensors")))
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir.file("validation/notes.txt")), "other files are kept")
        XCTAssertFalse(try Pool.open(directory: dir.path).hasValidation)
    }

    func testDirectoryIsCreatedAndNoTemporaryFilesRemain() throws {
        let dir = TemporaryDirectory()
        let target = dir.file("nested/pool")
        try PoolGenerator(rows: 5, dimension: 2, dtype: .bf16, rowsPerFile: 2).write(to: target)
        let names = try FileManager.default.subpathsOfDirectory(atPath: target)
        XCTAssertFalse(names.contains { $0.contains(".tmp-") }, "\(names)")
        XCTAssertEqual(try Pool.open(directory: target).signalFiles.count, 3)
    }

    func testInvalidParametersAreRejected() {
        let dir = TemporaryDirectory()
        assertDataError(try PoolGenerator(rows: 0, dimension: 2).write(to: dir.path), fileSuffix: dir.path, messageContains: ["rows"])
        assertDataError(try PoolGenerator(rows: 2, dimension: 2, dtype: .i64).write(to: dir.path), fileSuffix: dir.path, messageContains: ["dtype"])
    }

    func testSamplesLinesFollowTheDocumentedForm() throws {
        let dir = TemporaryDirectory()
        try PoolGenerator(rows: 2, dimension: 2).write(to: dir.path)
        let text = try String(contentsOfFile: dir.file("samples.jsonl"), encoding: .utf8)
        let first = try XCTUnwrap(text.split(separator: "\n").first)
        XCTAssertTrue(first.hasPrefix("{\"id\": \"gen-000000\", \"cluster\": "), String(first))
        XCTAssertTrue(first.hasSuffix(", \"prompt\": \"synthetic problem 0\"}"), String(first))
    }

    private func clustersOfSamples(_ directory: String) throws -> [Int] {
        let text = try String(contentsOfFile: directory + "/samples.jsonl", encoding: .utf8)
        return try text.split(separator: "\n").map { line in
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            return object["cluster"] as! Int
        }
    }
}
