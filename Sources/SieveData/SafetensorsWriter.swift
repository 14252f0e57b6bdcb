#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes a safetensors file as a stream: the header is written first from
/// the declared tensor specs, then the caller appends each tensor's raw
/// little-endian data in declared order, in pieces of any size.
///
/// This lets the pool generator write gigabytes without holding a tensor in
/// memory. Data goes to `path.tmp-<pid>`; `finish()` checks every declared
/// byte arrived and renames the file into place, so readers never see a
/// partial file. A writer dropped without `finish()` deletes its temporary.
public final class SafetensorsWriter {
    /// One tensor to be written: its name, element type and shape.
    public struct Spec: Sendable, Equatable {
        public var name: String
        public var dtype: DType
        public var shape: [Int]
        public init(name: String, dtype: DType, shape: [Int]) {
            self.name = name
            self.dtype = dtype
            self.shape = shape
        }
    }

    public let path: String
    /// The tensors as they will appear in the file (absolute offsets).
    public private(set) var tensors: [TensorInfo] = []
    private let temporaryPath: String
    private var output: BufferedFileOutput?
    private let totalBytes: Int
    private var writtenBytes = 0

    /// Validates `tensors` (unique names, non-negative shapes without
    /// overflow) and writes the header. `headerAlignment` pads the header
    /// with spaces so the data starts at a multiple of it (8 by convention;
    /// 1 writes no padding, which tests use to produce unaligned data).
    public init(path: String, tensors specs: [Spec], metadata: [String: String] = [:], headerAlignment: Int = 8) throws {
        precondition(headerAlignment >= 1, "headerAlignment must be positive")
        self.path = path
        temporaryPath = AtomicFile.temporaryPath(for: path)
        let layout = try Self.layout(specs, path: path)
        var header = Array(Self.headerJSON(specs, layout.offsets, metadata: metadata).utf8)
        while (8 + header.count) % headerAlignment != 0 { header.append(UInt8(ascii: " ")) }
        let dataStart = 8 + header.count
        tensors = zip(specs, layout.offsets).map { spec, range in
            TensorInfo(name: spec.name, dtype: spec.dtype, shape: spec.shape,
                       byteOffset: dataStart + range.lowerBound, byteCount: range.count)
        }
        totalBytes = layout.total
        do {
            let output = try BufferedFileOutput(path: temporaryPath)
            self.output = output
            var length = UInt64(header.count).littleEndian
            try withUnsafeBytes(of: &length) { try output.write($0) }
            try output.write(header)
        } catch let error as DataError {
            throw DataError(file: path, message: "\(error.message) (while writing \(temporaryPath))")
        }
    }

    deinit {
        if output != nil {
            output = nil
            unlink(temporaryPath)
        }
    }

    /// Bytes still expected before `finish()`.
    public var remainingBytes: Int { totalBytes - writtenBytes }

    /// Appends raw little-endian data. Throws if it would exceed the total
    /// declared by the specs, or after `finish()`.
    public func append(_ bytes: UnsafeRawBufferPointer) throws {
        guard let output else { throw DataError(file: path, message: "append after finish") }
        guard bytes.count <= remainingBytes else {
            throw DataError(file: path, message: "appending \(bytes.count) bytes exceeds the declared \(totalBytes) data bytes (\(writtenBytes) already written)")
        }
        try output.write(bytes)
        writtenBytes += bytes.count
    }

    /// Appends the bytes of `array` (see `append(_:)`).
    public func append(_ array: [UInt8]) throws {
        try array.withUnsafeBytes { try append($0) }
    }

    /// Checks that every declared byte was written, closes the file and
    /// renames it into place.
    public func finish() throws {
        guard let output else { throw DataError(file: path, message: "finish called twice") }
        guard writtenBytes == totalBytes else {
            throw DataError(file: path, message: "only \(writtenBytes) of \(totalBytes) declared data bytes were written")
        }
        self.output = nil
        do {
            try output.close()
            try AtomicFile.commit(temporaryPath, to: path)
        } catch {
            unlink(temporaryPath)
            throw error
        }
    }

    private static func layout(_ specs: [Spec], path: String) throws -> (offsets: [Range<Int>], total: Int) {
        var seen = Set<String>()
        var offsets: [Range<Int>] = []
        var total = 0
        for spec in specs {
            guard spec.name != "__metadata__", seen.insert(spec.name).inserted else {
                throw DataError(file: path, field: spec.name, message: "duplicate or reserved tensor name")
            }
            guard let bytes = ShapeMath.byteCount(spec.shape, spec.dtype) else {
                throw DataError(file: path, field: spec.name, message: "shape \(ShapeMath.text(spec.shape)) is negative or overflows")
            }
            let (end, overflow) = total.addingReportingOverflow(bytes)
            guard !overflow else { throw DataError(file: path, field: spec.name, message: "total size overflows") }
            offsets.append(total..<end)
            total = end
        }
        return (offsets, total)
    }

    private static func headerJSON(_ specs: [Spec], _ offsets: [Range<Int>], metadata: [String: String]) -> String {
        var entries: [String] = []
        if !metadata.isEmpty {
            let pairs = metadata.keys.sorted().map { "\(JSONText.quoted($0)):\(JSONText.quoted(metadata[$0]!))" }
            entries.append("\"__metadata__\":{\(pairs.joined(separator: ","))}")
        }
        for (spec, range) in zip(specs, offsets) {
            let shape = spec.shape.map(String.init).joined(separator: ",")
            entries.append("\(JSONText.quoted(spec.name)):{\"dtype\":\"\(spec.dtype.rawValue)\",\"shape\":[\(shape)],\"data_offsets\":[\(range.lowerBound),\(range.upperBound)]}")
        }
        return "{" + entries.joined(separator: ",") + "}"
    }
}
