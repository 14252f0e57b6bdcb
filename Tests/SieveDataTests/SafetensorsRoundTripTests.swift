import XCTest
@testable import SieveData

final class SafetensorsRoundTripTests: XCTestCase {
    private let values: [Float] = [0, 1, -1, 0.5, 3.140625, -2.75, 65504, 1e-3, -0, 100.25, 7, -8]

    private func roundTrip(_ dtype: DType) throws {
        let dir = TemporaryDirectory()
        let path = dir.file("t.safetensors")
        try writeTensors(path, [RawTensor(name: "x", dtype: dtype, shape: [3, 4], bytes: FloatBytes.encode(values, dtype: dtype))])
        let file = try SafetensorsFile(path: path)
        let info = try XCTUnwrap(file.tensors["x"])
        XCTAssertEqual(info.dtype, dtype)
        XCTAssertEqual(info.shape, [3, 4])
        XCTAssertEqual(info.byteCount, 12 * dtype.byteWidth)
        let decoded = FloatBytes.decode(file.bytes(info), dtype: dtype)
        let expected = values.map { x -> Float in
            switch dtype {
            case .f16: return float16BitsToFloat(floatToFloat16Bits(x))
            case .bf16: return bfloat16BitsToFloat(floatToBFloat16Bits(x))
            default: return x
            }
        }
        XCTAssertEqual(decoded, expected)
    }

    func testF32ValuesSurviveWriteAndRead() throws { try roundTrip(.f32) }
    func testF16ValuesSurviveWriteAndRead() throws { try roundTrip(.f16) }
    func testBF16ValuesSurviveWriteAndRead() throws { try roundTrip(.bf16) }

    func testI64ValuesSurviveWriteAndRead() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("t.safetensors")
        let ints: [Int64] = [0, -1, .max, .min, 42]
        try writeTensors(path, [.i64("row", ints)])
        let file = try SafetensorsFile(path: path)
        XCTAssertEqual(FloatBytes.decodeInt64(file.bytes(file.tensors["row"]!)), ints)
    }

    func testUnalignedDataOffsetsAreReadCorrectly() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("t.safetensors")
        // No header padding, and a 3-byte-ish lead tensor: every later tensor
        // starts at an odd absolute offset.
        try writeTensors(path, [
            RawTensor(name: "lead", dtype: .f16, shape: [3], bytes: FloatBytes.encode([1, 2, 3], dtype: .f16)),
            .f32("f", [2, 2], [1.5, -2.5, 3.5, -4.5]),
            .i64("i", [7, -9, 1 << 40]),
            RawTensor(name: "b", dtype: .bf16, shape: [2], bytes: FloatBytes.encode([0.5, -6], dtype: .bf16)),
        ], headerAlignment: 1)
        let file = try SafetensorsFile(path: path)
        let offsets = ["f", "i", "b"].map { file.tensors[$0]!.byteOffset }
        XCTAssertTrue(offsets.contains { $0 % 4 != 0 }, "test needs unaligned offsets, got \(offsets)")
        XCTAssertEqual(FloatBytes.decode(file.bytes(file.tensors["f"]!), dtype: .f32), [1.5, -2.5, 3.5, -4.5])
        XCTAssertEqual(FloatBytes.decodeInt64(file.bytes(file.tensors["i"]!)), [7, -9, 1 << 40])
        XCTAssertEqual(FloatBytes.decode(file.bytes(file.tensors["b"]!), dtype: .bf16), [0.5, -6])
        XCTAssertEqual(FloatBytes.decode(file.bytes(file.tensors["lead"]!), dtype: .f16), [1, 2, 3])
    }

    func testMetadataAndHeaderBytesAreExposed() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("t.safetensors")
        try writeTensors(path, [.f32("x", [1], [1])], metadata: ["seed": "7", "note": "quote \" and é"])
        let file = try SafetensorsFile(path: path)
        XCTAssertEqual(file.metadata, ["seed": "7", "note": "quote \" and é"])
        XCTAssertEqual((8 + file.headerBytes.count) % 8, 0, "default header padding aligns the data to 8")
        XCTAssertEqual(file.fileSize, 8 + file.headerBytes.count + 4)
        XCTAssertTrue(String(decoding: file.headerBytes, as: UTF8.self).contains("\"data_offsets\":[0,4]"))
    }

    func testEmptyTensorIsAllowed() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("t.safetensors")
        try writeTensors(path, [.f32("empty", [0, 5], []), .f32("x", [2], [1, 2])])
        let file = try SafetensorsFile(path: path)
        XCTAssertEqual(file.bytes(file.tensors["empty"]!).count, 0)
        XCTAssertEqual(FloatBytes.decode(file.bytes(file.tensors["x"]!), dtype: .f32), [1, 2])
    }

    func testWriterRejectsMoreBytesThanDeclared() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("t.safetensors")
        let writer = try SafetensorsWriter(path: path, tensors: [.init(name: "x", dtype: .f32, shape: [2])])
        try writer.append([UInt8](repeating: 0, count: 6))
        assertDataError(try writer.append([UInt8](repeating: 0, count: 4)), fileSuffix: "t.safetensors",
                        messageContains: ["exceeds the declared 8 data bytes", "6 already written"])
    }

    func testWriterFinishRejectsMissingBytesAndLeavesNoFile() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("t.safetensors")
        do {
            let writer = try SafetensorsWriter(path: path, tensors: [.init(name: "x", dtype: .f32, shape: [2])])
            try writer.append([UInt8](repeating: 0, count: 4))
            XCTAssertFalse(FileManager.default.fileExists(atPath: path), "nothing appears before finish")
            assertDataError(try writer.finish(), fileSuffix: "t.safetensors", messageContains: ["only 4 of 8"])
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: path))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), [], "the temporary file is removed")
    }

    func testWriterRejectsDuplicateNamesAndOverflowingShapes() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("t.safetensors")
        assertDataError(try SafetensorsWriter(path: path, tensors: [.init(name: "x", dtype: .f32, shape: [1]),
                                                                   .init(name: "x", dtype: .f32, shape: [1])]),
                        fileSuffix: "t.safetensors", field: "x", messageContains: ["duplicate"])
        assertDataError(try SafetensorsWriter(path: path, tensors: [.init(name: "big", dtype: .f32, shape: [1 << 40, 1 << 40])]),
                        fileSuffix: "t.safetensors", field: "big", messageContains: ["overflows"])
    }
}
