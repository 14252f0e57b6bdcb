import Foundation

/// The validated contents of a safetensors JSON header.
///
/// Parsing is separate from mapping so that each check reads as one rule of
/// the format: the header is a JSON object; every entry other than
/// `__metadata__` names a known dtype, a shape of non-negative integers and
/// `[begin, end]` offsets inside the data section whose span matches the
/// shape exactly; tensors do not overlap; metadata maps strings to strings.
struct SafetensorsHeader {
    var tensors: [String: TensorInfo] = [:]
    var metadata: [String: String] = [:]

    /// The largest header accepted. Real headers are kilobytes; the limit
    /// keeps a corrupt length field from making us parse gigabytes.
    static let maximumLength = 100_000_000

    /// Parses `json` (the header bytes) for a file whose data section starts
    /// at absolute offset `dataStart` and is `dataSize` bytes long.
    init(json: UnsafeRawBufferPointer, dataStart: Int, dataSize: Int, path: String) throws {
        let parsed: Any
        do {
            parsed = try JSONSerialization.jsonObject(with: Data(json), options: [])
        } catch {
            throw DataError(file: path, message: "header is not valid JSON")
        }
        guard let object = parsed as? [String: Any] else {
            throw DataError(file: path, message: "header is not a JSON object")
        }
        for (name, entry) in object {
            if name == "__metadata__" {
                metadata = try Self.parseMetadata(entry, path: path)
            } else {
                tensors[name] = try Self.parseTensor(name, entry, dataStart: dataStart, dataSize: dataSize, path: path)
            }
        }
        try checkNoOverlap(path: path)
    }

    private static func parseMetadata(_ entry: Any, path: String) throws -> [String: String] {
        guard let map = entry as? [String: Any] else {
            throw DataError(file: path, field: "__metadata__", message: "must be an object mapping strings to strings")
        }
        var result: [String: String] = [:]
        for (key, value) in map {
            guard let text = value as? String else {
                throw DataError(file: path, field: "__metadata__", message: "value of \(key) is not a string")
            }
            result[key] = text
        }
        return result
    }

    private static func parseTensor(_ name: String, _ entry: Any, dataStart: Int, dataSize: Int, path: String) throws -> TensorInfo {
        func fail(_ message: String) -> DataError { DataError(file: path, field: name, message: message) }
        guard let fields = entry as? [String: Any] else { throw fail("header entry is not an object") }
        guard let dtypeName = fields["dtype"] as? String else { throw fail("missing or non-string dtype") }
        guard let dtype = DType(rawValue: dtypeName) else {
            throw fail("unsupported dtype \(dtypeName) (expected F32, F16, BF16 or I64)")
        }
        guard let shape = integers(fields["shape"]) else {
            throw fail("shape must be an array of non-negative integers")
        }
        guard let offsets = integers(fields["data_offsets"]), offsets.count == 2, offsets[0] <= offsets[1] else {
            throw fail("data_offsets must be [begin, end] with 0 <= begin <= end")
        }
        guard offsets[1] <= dataSize else {
            throw fail("data_offsets [\(offsets[0]), \(offsets[1])] exceed the \(dataSize)-byte data section")
        }
        guard let needed = ShapeMath.byteCount(shape, dtype) else {
            throw fail("shape \(ShapeMath.text(shape)) overflows")
        }
        let span = offsets[1] - offsets[0]
        guard needed == span else {
            throw fail("shape \(ShapeMath.text(shape)) of \(dtype.rawValue) needs \(needed) bytes but data_offsets span \(span)")
        }
        return TensorInfo(name: name, dtype: dtype, shape: shape, byteOffset: dataStart + offsets[0], byteCount: span)
    }

    /// An array of non-negative integers, or nil if `value` is anything else.
    private static func integers(_ value: Any?) -> [Int]? {
        guard let array = value as? [Any] else { return nil }
        var result: [Int] = []
        result.reserveCapacity(array.count)
        for element in array {
            // Foundation bridges a JSON number to Int only when it is exactly
            // an integer in range, so 1.5 and 2^64 are rejected here.
            guard let exact = element as? Int, exact >= 0 else { return nil }
            result.append(exact)
        }
        return result
    }

    private func checkNoOverlap(path: String) throws {
        let ordered = tensors.values.filter { $0.byteCount > 0 }.sorted { $0.byteOffset < $1.byteOffset }
        for (previous, next) in zip(ordered, ordered.dropFirst()) where next.byteOffset < previous.byteOffset + previous.byteCount {
            throw DataError(file: path, field: next.name, message: "data overlaps tensor \(previous.name)")
        }
    }
}
