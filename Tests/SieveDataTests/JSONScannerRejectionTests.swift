import XCTest
@testable import SieveData

/// Lines the samples scanner must reject, each with the reason it gives.
final class JSONScannerRejectionTests: XCTestCase {
    private func assertRejects(_ line: String, _ reason: String, column: Int? = nil, lineNumber: UInt = #line) {
        assertDataError(try SamplesFile.id(ofLine: line), fileSuffix: "<line>", line: 1,
                        messageContains: [reason] + (column.map { ["column \($0):"] } ?? []), lineNumber: lineNumber)
    }

    func testTrailingCommaIsRejected() {
        assertRejects(#"{"id": "a",}"#, "trailing comma", column: 12)
        assertRejects(#"{"id": "a", "l": [1, 2,]}"#, "trailing comma")
    }

    func testUnterminatedStringIsRejected() {
        assertRejects(#"{"id": "abc"#, "unterminated string", column: 12)
    }

    func testTopLevelArrayIsRejected() {
        assertRejects(#"[{"id": "a"}]"#, "must be one JSON object", column: 1)
    }

    func testGarbageAfterTheObjectIsRejected() {
        assertRejects(#"{"id": "a"} x"#, "after the object", column: 13)
        assertRejects(#"{"id": "a"}{"id": "b"}"#, "after the object")
    }

    func testInvalidEscapeIsRejected() {
        assertRejects(#"{"id": "a\qb"}"#, "invalid escape \\q", column: 10)
        assertRejects(#"{"id": "\u12G4"}"#, "four hex digits")
        assertRejects(#"{"other": "\x"}"#, "invalid escape")
    }

    func testUnpairedSurrogatesInTheIDAreRejected() {
        assertRejects(#"{"id": "\ud83d"}"#, "not followed by a low surrogate")
        assertRejects(#"{"id": "\ude00"}"#, "unpaired low surrogate")
        assertRejects(#"{"id": "\ud83d\u0041"}"#, "not a low surrogate")
    }

    func testRawControlCharacterIsRejected() {
        assertRejects("{\"id\": \"a\tb\"}", "raw control character")
    }

    func testInvalidUTF8IsRejected() {
        let bytes: [UInt8] = Array(#"{"id": "a"#.utf8) + [0xC3, 0x28] + Array(#""}"#.utf8)
        let file = TemporaryDirectory()
        let path = file.file("samples.jsonl")
        try? writeBytes(bytes, to: path)
        assertDataError(try SamplesFile.readIDs(path: path), fileSuffix: "samples.jsonl", line: 1, messageContains: ["UTF-8"])
    }

    func testMalformedNumbersAndLiteralsAreRejected() {
        assertRejects(#"{"id": "a", "n": 01}"#, "expected ',' or '}'")
        assertRejects(#"{"id": "a", "n": 1.}"#, "digit after '.'")
        assertRejects(#"{"id": "a", "n": -}"#, "expected a digit")
        assertRejects(#"{"id": "a", "n": 1e}"#, "exponent")
        assertRejects(#"{"id": "a", "b": tru}"#, "invalid literal")
        assertRejects(#"{"id": "a", "b": NaN}"#, "expected a value")
    }

    func testMissingColonAndUnquotedKeysAreRejected() {
        assertRejects(#"{id: "a"}"#, "expected a string key")
        assertRejects(#"{"id" "a"}"#, "expected ':'")
    }

    func testUnclosedObjectIsRejected() {
        assertRejects(#"{"id": "a""#, "expected ',' or '}', found end of line")
        assertRejects(#"{"id": "a", "l": [1, 2"#, "expected ',' or ']'")
    }

    func testExcessiveNestingIsRejected() {
        let deep = "{\"id\": \"a\", \"x\": " + String(repeating: "[", count: 600) + String(repeating: "]", count: 600) + "}"
        assertRejects(deep, "nesting deeper")
    }
}
