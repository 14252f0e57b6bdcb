/// Where one tensor lives inside a safetensors file, after validation.
///
/// `byteOffset` is absolute (from the start of the file, past the 8-byte
/// length and the JSON header) and `byteCount` always equals the product of
/// `shape` times `dtype.byteWidth`; `SafetensorsFile` guarantees both lie
/// within the file.
public struct TensorInfo: Sendable, Equatable {
    public let name: String
    public let dtype: DType
    public let shape: [Int]
    /// Absolute offset of the first data byte in the file.
    public let byteOffset: Int
    /// Number of data bytes.
    public let byteCount: Int

    public init(name: String, dtype: DType, shape: [Int], byteOffset: Int, byteCount: Int) {
        self.name = name
        self.dtype = dtype
        self.shape = shape
        self.byteOffset = byteOffset
        self.byteCount = byteCount
    }

    /// Number of elements (product of the shape; 1 for a scalar).
    public var elementCount: Int { byteCount / dtype.byteWidth }

    /// The shape written the way error messages show it, e.g. `[20, 8]`.
    public var shapeText: String { "[" + shape.map(String.init).joined(separator: ", ") + "]" }
}
