import Foundation
import XCTest
@testable import SieveData

final class SamplesFileTests: XCTestCase {
    private let dir = TemporaryDirectory()
    private var path: String { dir.file("samples.jsonl") }

    func testMath8kHasUniqueIDsInFileOrder() throws {
        let samples = TestData.math8kSamples
        guard FileManager.default.fileExists(atPath: samples) else {
            throw XCTSkip("math8k data not found at \(samples)")
        }
        let ids = try SamplesFile.readIDs(path: samples)
        XCTAssertEqual(ids.count, 8_523)
        XCTAssertEqual(Set(ids).count, ids.count)
        XCTAssertEqual(ids.first, "d10e806e-da93-43fd-a9dd-c5018f143037")
        // Cross-check against Foundation's parser on every line.
        let text = try String(contentsOfFile: samples, encoding: .utf8)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: true)
        XCTAssertEqual(lines.count, ids.count)
        for (line, id) in zip(lines, ids) {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            XCTAssertEqual(object?["id"] as? String, id)
        }
    }

    func testEscapesInIDsAreDecoded() throws {
        try writeText(#"""
        {"id": "quote\" back\\ slash\/ tab\t"}
        {"id": "caf\u00e9 \u00E9"}
        {"id": "smile \ud83d\ude00 done"}
        {"id": "plain é 😀 UTF-8"}
        """#, to: path)
        XCTAssertEqual(try SamplesFile.readIDs(path: path),
                       ["quote\" back\\ slash/ tab\t", "café é", "smile 😀 done", "plain é 😀 UTF-8"])
    }

    func testNestedValuesBeforeTheIDAreSkipped() throws {
        let line = #"{"meta": {"id": "inner", "list": [1, -2.5e+3, {"id": 4}, [], {}], "t": true, "f": false, "n": null}, "tags": ["a", "b\"c"], "id": "outer", "after": 0.0}"#
        XCTAssertEqual(try SamplesFile.id(ofLine: line), "outer")
    }

    func testEscapedKeySpellingIDIsRecognised() throws {
        XCTAssertEqual(try SamplesFile.id(ofLine: #"{"\u0069d": "x"}"#), "x")
    }

    func testFinalNewlineIsOptionalAndCRLFIsAccepted() throws {
        try writeText("{\"id\": \"a\"}\n{\"id\": \"b\"}", to: path)
        XCTAssertEqual(try SamplesFile.readIDs(path: path), ["a", "b"])
        try writeText("{\"id\": \"a\"}\r\n{\"id\": \"b\"}\r\n", to: path)
        XCTAssertEqual(try SamplesFile.readIDs(path: path), ["a", "b"])
    }

    func testMissingFileIsReported() {
        assertDataError(try SamplesFile.readIDs(path: path), fileSuffix: "samples.jsonl", messageContains: ["not found"])
    }

    func testBadJSONNamesTheLineAndColumn() throws {
        try writeText("{\"id\": \"a\"}\n{\"id\": \"b\"}\n{\"id\" \"c\"}\n", to: path)
        assertDataError(try SamplesFile.readIDs(path: path), fileSuffix: "samples.jsonl", line: 3,
                        messageContains: ["column 7", "expected ':'"])
    }

    func testDuplicateIDNamesBothLines() throws {
        try writeText("{\"id\": \"a\"}\n{\"id\": \"b\"}\n{\"id\": \"a\"}\n", to: path)
        assertDataError(try SamplesFile.readIDs(path: path), fileSuffix: "samples.jsonl", line: 3, field: "id",
                        messageContains: ["duplicate id \"a\"", "first seen at line 1"])
    }

    func testMissingIDIsReported() throws {
        try writeText("{\"id\": \"a\"}\n{\"name\": \"b\", \"x\": {\"id\": \"nested\"}}\n", to: path)
        assertDataError(try SamplesFile.readIDs(path: path), fileSuffix: "samples.jsonl", line: 2, field: "id",
                        messageContains: ["missing"])
    }

    func testNonStringIDIsReported() throws {
        try writeText("{\"id\": 17}\n", to: path)
        assertDataError(try SamplesFile.readIDs(path: path), fileSuffix: "samples.jsonl", line: 1, field: "id",
                        messageContains: ["number, not a string"])
    }

    func testEmptyLineInTheMiddleIsRejected() throws {
        try writeText("{\"id\": \"a\"}\n\n{\"id\": \"b\"}\n", to: path)
        assertDataError(try SamplesFile.readIDs(path: path), fileSuffix: "samples.jsonl", line: 2, messageContains: ["empty line"])
        try writeText("{\"id\": \"a\"}\n\n", to: path)
        assertDataError(try SamplesFile.readIDs(path: path), fileSuffix: "samples.jsonl", line: 2, messageContains: ["empty line"])
    }

    func testEmptyFileHasNoIDs() throws {
        try writeText("", to: path)
        XCTAssertEqual(try SamplesFile.readIDs(path: path), [])
    }

    func testDuplicateIDMemberInOneObjectIsRejected() {
        assertDataError(try SamplesFile.id(ofLine: #"{"id": "a", "id": "b"}"#), fileSuffix: "<line>", line: 1,
                        messageContains: ["more than one \"id\""])
    }
}
