/// The element types gradsieve reads from and writes to safetensors files.
///
/// The raw values are the safetensors header spellings. Gradients may be any
/// of the three float types; the `row` index tensor is always `i64`.
public enum DType: String, Sendable, CaseIterable {
    case f32 = "F32"
    case f16 = "F16"
    case bf16 = "BF16"
    case i64 = "I64"

    /// Bytes per element.
    public var byteWidth: Int {
        switch self {
        case .f32: return 4
        case .f16, .bf16: return 2
        case .i64: return 8
        }
    }

    /// True for the floating-point types a gradient may be stored in.
    public var isFloat: Bool { self != .i64 }
}
