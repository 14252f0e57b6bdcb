import Foundation
import XCTest
@testable import SieveData

/// A fresh directory under the system temporary directory, removed when the
/// object goes away.
final class TemporaryDirectory {
    let path: String

    init() {
        var template = Array((NSTemporaryDirectory() + "sievedata-XXXXXX").utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        precondition(made != nil, "mkdtemp failed")
        path = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }

    func file(_ name: String) -> String { path + "/" + name }
}

enum TestData {
    /// The package root, found from this file's path (Tests/SieveDataTests/…).
    static var packageRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    /// `../shared/data/math8k/samples.jsonl` relative to the package root.
    static var math8kSamples: String {
        packageRoot.appendingPathComponent("../shared/data/math8k/samples.jsonl").standardizedFileURL.path
    }
}

func writeText(_ text: String, to path: String) throws {
    try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
    try Data(text.utf8).write(to: URL(fileURLWithPath: path))
}

func writeBytes(_ bytes: [UInt8], to path: String) throws {
    try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
    try Data(bytes).write(to: URL(fileURLWithPath: path))
}

/// One tensor for `writeTensors`: name, dtype, shape and raw bytes.
struct RawTensor {
    var name: String
    var dtype: DType
    var shape: [Int]
    var bytes: [UInt8]

    static func f32(_ name: String, _ shape: [Int], _ values: [Float]) -> RawTensor {
        RawTensor(name: name, dtype: .f32, shape: shape, bytes: FloatBytes.encode(values, dtype: .f32))
    }

    static func i64(_ name: String, _ values: [Int64]) -> RawTensor {
        RawTensor(name: name, dtype: .i64, shape: [values.count], bytes: FloatBytes.encode(values))
    }

    /// A [n, d] grad in `dtype` with value `row * 10 + column` (so tests can
    /// tell rows apart).
    static func grad(rows: [Int64], d: Int, dtype: DType = .f32) -> RawTensor {
        let values = rows.flatMap { r in (0..<d).map { Float(r * 10) + Float($0) } }
        return RawTensor(name: "grad", dtype: dtype, shape: [rows.count, d], bytes: FloatBytes.encode(values, dtype: dtype))
    }
}

/// Writes `tensors` with `SafetensorsWriter`.
func writeTensors(_ path: String, _ tensors: [RawTensor], metadata: [String: String] = [:], headerAlignment: Int = 8) throws {
    try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
    let writer = try SafetensorsWriter(path: path, tensors: tensors.map { .init(name: $0.name, dtype: $0.dtype, shape: $0.shape) },
                                       metadata: metadata, headerAlignment: headerAlignment)
    for tensor in tensors { try writer.append(tensor.bytes) }
    try writer.finish()
}

/// Writes a safetensors file byte by byte: length field (declared, or the
/// real header length), header text, data.
func writeRawSafetensors(_ path: String, header: String, data: [UInt8] = [], declaredLength: UInt64? = nil) throws {
    var bytes: [UInt8] = []
    var length = (declaredLength ?? UInt64(header.utf8.count)).littleEndian
    withUnsafeBytes(of: &length) { bytes += $0 }
    bytes += Array(header.utf8) + data
    try writeBytes(bytes, to: path)
}

/// A small hand-made pool: `samples.jsonl` with ids s0, s1, … and signals
/// files written with `signals(_:rows:…)`.
struct HandPool {
    let directory: String

    func samples(_ count: Int) throws {
        try writeText((0..<count).map { "{\"id\": \"s\($0)\"}\n" }.joined(), to: directory + "/samples.jsonl")
    }

    /// A signals file covering `rows`, with grad (d columns, unless nil),
    /// success and any `extra` tensors.
    func signals(_ name: String, rows: [Int64], d: Int? = 4, dtype: DType = .f32, success: Bool = true,
                 extra: [RawTensor] = []) throws {
        var tensors = [RawTensor.i64("row", rows)]
        if let d { tensors.append(.grad(rows: rows, d: d, dtype: dtype)) }
        if success { tensors.append(.f32("success", [rows.count], rows.map { Float($0) / 100 })) }
        try writeTensors(directory + "/signals/" + name, tensors + extra)
    }

    func validation(_ name: String, rows: Int, d: Int, dtype: DType = .f32) throws {
        try writeTensors(directory + "/validation/" + name, [.grad(rows: (0..<Int64(rows)).map { $0 }, d: d, dtype: dtype)])
    }
}

/// Asserts that `body` throws a `DataError` whose file ends with
/// `fileSuffix` and whose row, line, field and message match.
func assertDataError<T>(_ body: @autoclosure () throws -> T, fileSuffix: String, row: Int? = nil, line: Int? = nil,
                        field: String? = nil, messageContains: [String] = [], file: StaticString = #filePath, lineNumber: UInt = #line) {
    do {
        _ = try body()
        XCTFail("expected a DataError, got success", file: file, line: lineNumber)
    } catch let error as DataError {
        // SHOW_ERRORS=1 prints every checked error, to review the messages.
        if ProcessInfo.processInfo.environment["SHOW_ERRORS"] != nil { print("ERR:", error) }
        XCTAssertTrue(error.file.hasSuffix(fileSuffix), "file \(error.file) does not end with \(fileSuffix)", file: file, line: lineNumber)
        XCTAssertEqual(error.row, row, "row in \(error)", file: file, line: lineNumber)
        XCTAssertEqual(error.line, line, "line in \(error)", file: file, line: lineNumber)
        XCTAssertEqual(error.field, field, "field in \(error)", file: file, line: lineNumber)
        for part in messageContains {
            XCTAssertTrue(error.message.contains(part), "message \"\(error.message)\" lacks \"\(part)\"", file: file, line: lineNumber)
        }
    } catch {
        XCTFail("expected a DataError, got \(error)", file: file, line: lineNumber)
    }
}
