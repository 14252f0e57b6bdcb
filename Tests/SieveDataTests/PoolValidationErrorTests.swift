import Foundation
import XCTest
@testable import SieveData

/// Each test writes a broken pool and checks that `Pool.open` names the
/// file, row or line, field and problem.
final class PoolValidationErrorTests: XCTestCase {
    private let dir = TemporaryDirectory()
    private var hand: HandPool { HandPool(directory: dir.path) }

    private func open(readIDs: Bool = true) throws -> Pool {
        try Pool.open(directory: dir.path, readIDs: readIDs)
    }

    func testMissingSamplesFileIsReported() throws {
        try hand.signals("a.safetensors", rows: [0, 1])
        assertDataError(try open(), fileSuffix: "samples.jsonl", messageContains: ["not found"])
        assertDataError(try open(readIDs: false), fileSuffix: "samples.jsonl", messageContains: ["not found"])
    }

    func testBadSamplesLineIsReportedThroughThePool() throws {
        try writeText("{\"id\": \"a\"}\n{\"id\": \"b\",}\n", to: dir.file("samples.jsonl"))
        try hand.signals("a.safetensors", rows: [0, 1])
        assertDataError(try open(), fileSuffix: "samples.jsonl", line: 2, messageContains: ["trailing comma"])
    }

    func testMissingSignalsDirectoryIsReported() throws {
        try hand.samples(2)
        assertDataError(try open(), fileSuffix: "/signals", messageContains: ["missing directory"])
        try FileManager.default.createDirectory(atPath: dir.file("signals"), withIntermediateDirectories: true)
        assertDataError(try open(), fileSuffix: "/signals", messageContains: ["no .safetensors files"])
    }

    func testBadSignalsHeaderNamesTheFile() throws {
        try hand.samples(2)
        try hand.signals("a.safetensors", rows: [0])
        try writeRawSafetensors(dir.file("signals/b.safetensors"), header: "not json")
        assertDataError(try open(), fileSuffix: "signals/b.safetensors", messageContains: ["not valid JSON"])
    }

    func testUnsupportedGradDtypeIsRejected() throws {
        try hand.samples(1)
        let header = #"{"row":{"dtype":"I64","shape":[1],"data_offsets":[0,8]},"grad":{"dtype":"F64","shape":[1,1],"data_offsets":[8,16]}}"#
        try writeRawSafetensors(dir.file("signals/a.safetensors"), header: header, data: Array(repeating: 0, count: 16))
        assertDataError(try open(), fileSuffix: "signals/a.safetensors", field: "grad", messageContains: ["unsupported dtype F64"])
    }

    func testIntegerGradIsRejected() throws {
        try hand.samples(2)
        try writeTensors(dir.file("signals/a.safetensors"), [.i64("row", [0, 1]), RawTensor(name: "grad", dtype: .i64, shape: [2, 1], bytes: FloatBytes.encode([5, 6]))])
        assertDataError(try open(), fileSuffix: "signals/a.safetensors", field: "grad", messageContains: ["F32, F16 or BF16, not I64"])
    }

    func testGradWithOneDimensionIsRejected() throws {
        try hand.samples(2)
        try writeTensors(dir.file("signals/a.safetensors"), [.i64("row", [0, 1]), .f32("grad", [2], [1, 2])])
        assertDataError(try open(), fileSuffix: "signals/a.safetensors", field: "grad", messageContains: ["shape must be [n, d], found [2]"])
    }

    func testSuccessWithTwoColumnsIsRejected() throws {
        try hand.samples(2)
        try writeTensors(dir.file("signals/a.safetensors"), [.i64("row", [0, 1]), .f32("success", [2, 2], [0, 0, 1, 1])])
        assertDataError(try open(), fileSuffix: "signals/a.safetensors", field: "success", messageContains: ["[n] = [2]", "found [2, 2]"])
    }

    func testRowCountDifferentFromGradRowsIsRejected() throws {
        try hand.samples(3)
        try writeTensors(dir.file("signals/a.safetensors"), [.i64("row", [0, 1, 2]), .grad(rows: [0, 1], d: 2)])
        assertDataError(try open(), fileSuffix: "signals/a.safetensors", field: "grad", messageContains: ["has 2 rows but row has 3"])
    }

    func testMissingRowTensorIsRejected() throws {
        try hand.samples(1)
        try writeTensors(dir.file("signals/a.safetensors"), [.f32("success", [1], [0.5])])
        assertDataError(try open(), fileSuffix: "signals/a.safetensors", field: "row", messageContains: ["missing tensor"])
    }

    func testMissingRowsAreCountedAndTheFirstNamed() throws {
        try hand.samples(10)
        try hand.signals("a.safetensors", rows: [0, 1, 2, 4])
        try hand.signals("b.safetensors", rows: [5, 8, 9])
        assertDataError(try open(), fileSuffix: "/signals", row: 3, field: "row",
                        messageContains: ["3 of 10 rows are not covered", "first missing row is 3"])
        assertDataError(try open(readIDs: false), fileSuffix: "/signals", row: 3, field: "row",
                        messageContains: ["3 of 10 rows are not covered"])
    }

    func testRowCoveredTwiceNamesBothFiles() throws {
        try hand.samples(4)
        try hand.signals("a.safetensors", rows: [0, 1, 2])
        try hand.signals("b.safetensors", rows: [3, 1])
        assertDataError(try open(), fileSuffix: "signals/b.safetensors", row: 1, field: "row",
                        messageContains: ["row 1 is covered twice", "position 1 of", "a.safetensors", "position 1 of \(dir.path)/signals/b.safetensors"])
    }

    func testRowCoveredTwiceWithinOneFileIsRejected() throws {
        try hand.samples(3)
        try hand.signals("a.safetensors", rows: [0, 1, 0])
        assertDataError(try open(readIDs: false), fileSuffix: "signals/a.safetensors", row: 0, field: "row",
                        messageContains: ["covered twice", "position 0 of", "position 2 of"])
    }

    func testNegativeRowValueIsRejected() throws {
        try hand.samples(2)
        try hand.signals("a.safetensors", rows: [0, -1])
        assertDataError(try open(), fileSuffix: "signals/a.safetensors", field: "row", messageContains: ["value -1 at position 1 is negative"])
        assertDataError(try open(readIDs: false), fileSuffix: "signals/a.safetensors", field: "row", messageContains: ["value -1 at position 1"])
    }

    func testRowBeyondTheSamplesLineCountIsRejectedNamingBothCounts() throws {
        try hand.samples(3)
        try hand.signals("a.safetensors", rows: [0, 1, 2, 3])
        assertDataError(try open(), fileSuffix: "signals/a.safetensors", field: "row",
                        messageContains: ["value 3 at position 3", "samples.jsonl has 3 lines", "signals files hold 4 rows"])
    }

    func testMoreSamplesLinesThanSignalRowsIsRejectedNamingBothCounts() throws {
        try hand.samples(5)
        try hand.signals("a.safetensors", rows: [0, 1, 2, 3])
        assertDataError(try open(), fileSuffix: "/signals", row: 4, field: "row",
                        messageContains: ["samples.jsonl has 5 lines", "signals files hold 4 rows"])
        XCTAssertEqual(try open(readIDs: false).rowCount, 4, "without ids N comes from the rows")
    }

    func testAbsurdRowValueWithoutIDsIsRejected() throws {
        try hand.samples(2)
        try hand.signals("a.safetensors", rows: [0, 1 << 50])
        assertDataError(try open(readIDs: false), fileSuffix: "signals/a.safetensors", field: "row", messageContains: ["far beyond the 2 rows"])
    }

    func testDifferentTensorSetsAcrossFilesAreRejected() throws {
        try hand.samples(4)
        try hand.signals("a.safetensors", rows: [0, 1])
        try hand.signals("b.safetensors", rows: [2, 3], success: false)
        assertDataError(try open(), fileSuffix: "signals/b.safetensors",
                        messageContains: ["tensors [grad, row] differ from [grad, row, success]"])
    }

    func testDifferentGradDimensionsAcrossFilesAreRejected() throws {
        try hand.samples(4)
        try hand.signals("a.safetensors", rows: [0, 1], d: 4)
        try hand.signals("b.safetensors", rows: [2, 3], d: 5)
        assertDataError(try open(), fileSuffix: "signals/b.safetensors", field: "grad", messageContains: ["d = 5 differs from F32 with d = 4"])
    }

    func testDifferentGradDtypesAcrossFilesAreRejected() throws {
        try hand.samples(4)
        try hand.signals("a.safetensors", rows: [0, 1], dtype: .f16)
        try hand.signals("b.safetensors", rows: [2, 3], dtype: .bf16)
        assertDataError(try open(), fileSuffix: "signals/b.safetensors", field: "grad", messageContains: ["BF16", "F16"])
    }

    func testDifferentRewardEpochsAcrossFilesAreRejected() throws {
        try hand.samples(4)
        try hand.signals("a.safetensors", rows: [0, 1], extra: [.f32("rewards", [2, 2], [0, 0, 0, 0])])
        try hand.signals("b.safetensors", rows: [2, 3], extra: [.f32("rewards", [2, 3], [0, 0, 0, 0, 0, 0])])
        assertDataError(try open(), fileSuffix: "signals/b.safetensors", field: "rewards", messageContains: ["K = 3 differs from K = 2"])
    }

    func testValidationDimensionDifferentFromTrainingIsRejected() throws {
        try hand.samples(2)
        try hand.signals("a.safetensors", rows: [0, 1], d: 4)
        try hand.validation("v.safetensors", rows: 3, d: 5)
        assertDataError(try open(), fileSuffix: "validation/v.safetensors", field: "grad",
                        messageContains: ["d = 5 differs from the training d = 4"])
    }

    func testValidationWithoutTrainingGradIsRejected() throws {
        try hand.samples(2)
        try hand.signals("a.safetensors", rows: [0, 1], d: nil)
        try hand.validation("v.safetensors", rows: 3, d: 5)
        assertDataError(try open(), fileSuffix: "validation/v.safetensors", field: "grad", messageContains: ["no grad"])
    }

    func testValidationFileWithoutGradIsRejected() throws {
        try hand.samples(2)
        try hand.signals("a.safetensors", rows: [0, 1])
        try writeTensors(dir.file("validation/v.safetensors"), [.f32("other", [1], [0])])
        assertDataError(try open(), fileSuffix: "validation/v.safetensors", field: "grad", messageContains: ["missing tensor"])
    }

    func testErrorDescriptionNamesEveryPart() {
        let error = DataError(file: "DATA/signals/part-0.safetensors", row: 17, field: "grad", message: "value is NaN")
        XCTAssertEqual(error.description, "DATA/signals/part-0.safetensors: row 17: grad: value is NaN")
        XCTAssertEqual(DataError(file: "DATA/samples.jsonl", line: 12, message: "empty line").description,
                       "DATA/samples.jsonl: line 12: empty line")
    }
}
