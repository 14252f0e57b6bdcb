/// A read-only, memory-mapped, fully validated safetensors file.
///
/// Opening checks the whole header (see `SafetensorsHeader`) but reads no
/// tensor data, so it is cheap even for multi-gigabyte files. Views returned
/// by `bytes(_:)` point into the mapping and stay valid while this object is
/// alive; they may be unaligned, so read them with `loadUnaligned` (or the
/// helpers in `FloatBytes`).
public final class SafetensorsFile: Sendable {
    public let path: String
    /// The tensors by name (the `__metadata__` entry is not a tensor).
    public let tensors: [String: TensorInfo]
    /// The optional `__metadata__` map; empty when absent.
    public let metadata: [String: String]
    /// The raw JSON header bytes, exactly as stored (including any padding).
    /// Pool fingerprints hash these instead of tensor data.
    public let headerBytes: [UInt8]
    /// The file size in bytes.
    public let fileSize: Int
    private let map: MemoryMappedFile

    /// Maps and validates `path`. Throws `DataError` naming the file (and the
    /// tensor, where one is at fault) on any format violation.
    public init(path: String) throws {
        self.path = path
        map = try MemoryMappedFile(path: path)
        fileSize = map.size
        let all = map.bytes
        guard fileSize >= 8 else {
            throw DataError(file: path, message: "file is \(fileSize) bytes, too short to hold the 8-byte header length")
        }
        let declared = UInt64(littleEndian: all.loadUnaligned(fromByteOffset: 0, as: UInt64.self))
        guard declared < UInt64(SafetensorsHeader.maximumLength) else {
            throw DataError(file: path, message: "header length \(declared) is not below the 100 MB limit")
        }
        let headerLength = Int(declared)
        guard headerLength <= fileSize - 8 else {
            throw DataError(file: path, message: "header length \(headerLength) exceeds the \(fileSize - 8) bytes after the length field")
        }
        let json = UnsafeRawBufferPointer(rebasing: all[8..<(8 + headerLength)])
        headerBytes = Array(json)
        let dataStart = 8 + headerLength
        let header = try SafetensorsHeader(json: json, dataStart: dataStart, dataSize: fileSize - dataStart, path: path)
        tensors = header.tensors
        metadata = header.metadata
    }

    /// The data bytes of `tensor`, a view into the mapping. `tensor` must come
    /// from this file's `tensors`.
    public func bytes(_ tensor: TensorInfo) -> UnsafeRawBufferPointer {
        precondition(tensor.byteOffset >= 0 && tensor.byteOffset + tensor.byteCount <= fileSize,
                     "tensor \(tensor.name) does not belong to \(path)")
        return UnsafeRawBufferPointer(rebasing: map.bytes[tensor.byteOffset..<(tensor.byteOffset + tensor.byteCount)])
    }

    /// The data bytes of the tensor called `name`, or nil if there is none.
    public func bytes(named name: String) -> UnsafeRawBufferPointer? {
        tensors[name].map(bytes)
    }

    /// The tensor names in file (data offset) order; handy for messages.
    public var tensorNames: [String] {
        tensors.values.sorted { ($0.byteOffset, $0.name) < ($1.byteOffset, $1.name) }.map(\.name)
    }
}
