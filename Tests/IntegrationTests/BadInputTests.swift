import Foundation
import XCTest
import SieveData

/// Bad pools and bad OUT directories: a clear error naming file, row and field, a non-zero exit,
/// and OUT exactly as it was.
final class BadInputTests: XCTestCase {
    func makePool(_ harness: Harness, dim: Int = 8, name: String = "pool") throws -> String {
        let pool = harness.path(name)
        let result = try harness.run(["generate", "--out", pool, "--rows", "300", "--dim", "\(dim)", "--dtype", "f32",
                                      "--validation", "10", "--rows-per-file", "100"])
        XCTAssertEqual(result.status, 0, result.stderr)
        return pool
    }

    /// Runs select into an OUT that already holds a bystander file, expects failure, and checks
    /// that OUT still holds only that file.
    func expectFailure(_ harness: Harness, _ pool: String, mentions: [String], file: StaticString = #filePath, line: UInt = #line) throws {
        let out = harness.path("out")
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        try Data("keep me".utf8).write(to: URL(fileURLWithPath: out + "/notes.txt"))
        let result = try harness.run(["select", "--data", pool, "--budget", "10", "--workers", "2", "--shard-rows", "64", "--out", out])
        XCTAssertNotEqual(result.status, 0, "select should fail", file: file, line: line)
        for text in mentions {
            XCTAssertTrue(result.stderr.contains(text), "stderr lacks \(text):\n\(result.stderr)", file: file, line: line)
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: out), ["notes.txt"], file: file, line: line)
        XCTAssertEqual(try String(contentsOfFile: out + "/notes.txt", encoding: .utf8), "keep me", file: file, line: line)
    }

    /// Overwrites one float of `tensor` in a safetensors file.
    func poke(_ path: String, tensor: String, element: Int, bits: UInt32) throws {
        let info = try SafetensorsFile(path: path).tensors[tensor]!
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.seek(toOffset: UInt64(info.byteOffset + element * 4))
        try handle.write(contentsOf: withUnsafeBytes(of: bits.littleEndian) { Data($0) })
        try handle.close()
    }

    func testNaNInAGradientNamesFileRowAndField() throws {
        let harness = try Harness("nan")
        let pool = try makePool(harness)
        let file = pool + "/signals/part-0001.safetensors"
        try poke(file, tensor: "grad", element: 5 * 8 + 3, bits: 0x7FC0_0000)   // row 105, column 3
        try expectFailure(harness, pool, mentions: ["part-0001.safetensors", "row 105", "grad", "NaN"])
    }

    func testNaNInAValidationGradientNamesTheValidationFile() throws {
        let harness = try Harness("nan-validation")
        let pool = try makePool(harness)
        try poke(pool + "/validation/part-0000.safetensors", tensor: "grad", element: 2 * 8, bits: 0x7F80_0000)
        try expectFailure(harness, pool, mentions: ["validation/part-0000.safetensors", "row 2", "grad"])
    }

    func testSuccessOutsideZeroOneIsRejected() throws {
        let harness = try Harness("success")
        let pool = try makePool(harness)
        try poke(pool + "/signals/part-0002.safetensors", tensor: "success", element: 7, bits: Float(1.5).bitPattern)
        try expectFailure(harness, pool, mentions: ["part-0002.safetensors", "row 207", "success"])
    }

    func testBadJSONLineIsNamed() throws {
        let harness = try Harness("bad-json")
        let pool = try makePool(harness)
        var lines = try String(contentsOfFile: pool + "/samples.jsonl", encoding: .utf8).split(separator: "\n").map(String.init)
        lines[41] = "{\"id\": \"gen-000041\", \"prompt\": oops}"
        try (lines.joined(separator: "\n") + "\n").write(toFile: pool + "/samples.jsonl", atomically: true, encoding: .utf8)
        try expectFailure(harness, pool, mentions: ["samples.jsonl", "line 42"])
    }

    func testDuplicateIdIsNamed() throws {
        let harness = try Harness("duplicate")
        let pool = try makePool(harness)
        var lines = try String(contentsOfFile: pool + "/samples.jsonl", encoding: .utf8).split(separator: "\n").map(String.init)
        lines[10] = lines[3]
        try (lines.joined(separator: "\n") + "\n").write(toFile: pool + "/samples.jsonl", atomically: true, encoding: .utf8)
        try expectFailure(harness, pool, mentions: ["samples.jsonl", "line 11", "duplicate", "line 4"])
    }

    func testDimensionMismatchBetweenTrainingAndValidation() throws {
        let harness = try Harness("dims")
        let pool = try makePool(harness)
        let other = try makePool(harness, dim: 9, name: "other")
        try FileManager.default.removeItem(atPath: pool + "/validation")
        try FileManager.default.copyItem(atPath: other + "/validation", toPath: pool + "/validation")
        try expectFailure(harness, pool, mentions: ["validation", "grad", "9", "8"])
    }

    func testRowsMissingFromTheSignals() throws {
        let harness = try Harness("missing-rows")
        let pool = try makePool(harness)
        try FileManager.default.removeItem(atPath: pool + "/signals/part-0001.safetensors")
        try expectFailure(harness, pool, mentions: ["row 100", "missing"])
    }

    func testMethodWithoutItsTensorFailsBeforeWork() throws {
        let harness = try Harness("no-validation")
        let pool = try makePool(harness)
        try FileManager.default.removeItem(atPath: pool + "/validation")
        try expectFailure(harness, pool, mentions: ["gradalign", "`grad`", "validation"])
    }

    func testOutHoldingARunIsRefusedUnlessForced() throws {
        let harness = try Harness("refuse")
        let pool = try makePool(harness)
        let arguments = ["select", "--data", pool, "--budget", "10", "--workers", "1", "--out", harness.path("out")]
        XCTAssertEqual(try harness.run(arguments).status, 0)
        let before = try harness.read("out/run.json")
        let refused = try harness.run(arguments)
        XCTAssertNotEqual(refused.status, 0)
        XCTAssertTrue(refused.stderr.contains("already holds a run"), refused.stderr)
        XCTAssertEqual(try harness.read("out/run.json"), before)
        XCTAssertEqual(try harness.run(arguments + ["--force"]).status, 0)
    }
}
