import XCTest
@testable import SieveData

final class SafetensorsHeaderValidationTests: XCTestCase {
    private let dir = TemporaryDirectory()
    private var path: String { dir.file("bad.safetensors") }

    func testFileShorterThanLengthFieldIsRejected() throws {
        try writeBytes([1, 2, 3], to: path)
        assertDataError(try SafetensorsFile(path: path), fileSuffix: "bad.safetensors", messageContains: ["3 bytes", "too short"])
    }

    func testTruncatedHeaderIsRejected() throws {
        let header = #"{"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#
        let full = Array(header.utf8)
        try writeRawSafetensors(path, header: String(decoding: full.prefix(20), as: UTF8.self), declaredLength: UInt64(full.count))
        assertDataError(try SafetensorsFile(path: path), fileSuffix: "bad.safetensors", messageContains: ["header length \(full.count) exceeds the 20 bytes"])
    }

    func testHeaderLengthBeyondTheLimitIsRejected() throws {
        try writeRawSafetensors(path, header: "{}", declaredLength: 1 << 40)
        assertDataError(try SafetensorsFile(path: path), fileSuffix: "bad.safetensors", messageContains: ["100 MB"])
    }

    func testHeaderThatIsNotJSONIsRejected() throws {
        try writeRawSafetensors(path, header: "{not json")
        assertDataError(try SafetensorsFile(path: path), fileSuffix: "bad.safetensors", messageContains: ["not valid JSON"])
    }

    func testHeaderThatIsAnArrayIsRejected() throws {
        try writeRawSafetensors(path, header: "[1, 2]")
        assertDataError(try SafetensorsFile(path: path), fileSuffix: "bad.safetensors", messageContains: ["not a JSON object"])
    }

    func testUnknownDtypesAreRejectedByName() throws {
        for dtype in ["F64", "U8"] {
            try writeRawSafetensors(path, header: #"{"grad":{"dtype":"\#(dtype)","shape":[1],"data_offsets":[0,8]}}"#, data: Array(repeating: 0, count: 8))
            assertDataError(try SafetensorsFile(path: path), fileSuffix: "bad.safetensors", field: "grad",
                            messageContains: ["unsupported dtype \(dtype)"])
        }
    }

    func testShapeThatDisagreesWithTheByteSpanIsRejected() throws {
        try writeRawSafetensors(path, header: #"{"x":{"dtype":"F32","shape":[2,3],"data_offsets":[0,20]}}"#, data: Array(repeating: 0, count: 20))
        assertDataError(try SafetensorsFile(path: path), fileSuffix: "bad.safetensors", field: "x",
                        messageContains: ["[2, 3] of F32 needs 24 bytes but data_offsets span 20"])
    }

    func testOffsetsBeyondTheFileAreRejected() throws {
        try writeRawSafetensors(path, header: #"{"x":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}"#, data: Array(repeating: 0, count: 8))
        assertDataError(try SafetensorsFile(path: path), fileSuffix: "bad.safetensors", field: "x",
                        messageContains: ["exceed the 8-byte data section"])
    }

    func testOverflowingShapeIsRejected() throws {
        let huge = "4611686018427387904"
        try writeRawSafetensors(path, header: #"{"x":{"dtype":"F32","shape":[\#(huge),\#(huge)],"data_offsets":[0,0]}}"#)
        assertDataError(try SafetensorsFile(path: path), fileSuffix: "bad.safetensors", field: "x", messageContains: ["overflows"])
    }

    func testNegativeOrFractionalShapeIsRejected() throws {
        for shape in ["[-1]", "[1.5]", "\"4\""] {
            try writeRawSafetensors(path, header: #"{"x":{"dtype":"F32","shape":\#(shape),"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0])
            assertDataError(try SafetensorsFile(path: path), fileSuffix: "bad.safetensors", field: "x", messageContains: ["shape must be"])
        }
    }

    func testReversedOffsetsAreRejected() throws {
        try writeRawSafetensors(path, header: #"{"x":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}}"#, data: Array(repeating: 0, count: 8))
        assertDataError(try SafetensorsFile(path: path), fileSuffix: "bad.safetensors", field: "x", messageContains: ["data_offsets"])
    }

    func testOverlappingTensorsAreRejected() throws {
        let header = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#
        try writeRawSafetensors(path, header: header, data: Array(repeating: 0, count: 12))
        assertDataError(try SafetensorsFile(path: path), fileSuffix: "bad.safetensors", field: "b", messageContains: ["overlaps tensor a"])
    }

    func testNonStringMetadataIsRejected() throws {
        try writeRawSafetensors(path, header: #"{"__metadata__":{"n":3}}"#)
        assertDataError(try SafetensorsFile(path: path), fileSuffix: "bad.safetensors", field: "__metadata__", messageContains: ["not a string"])
    }

    func testMissingFileIsReported() {
        assertDataError(try SafetensorsFile(path: dir.file("absent.safetensors")), fileSuffix: "absent.safetensors", messageContains: ["not found"])
    }
}
