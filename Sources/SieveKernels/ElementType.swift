/// How one element of a gradient row is stored: the three float formats of the data contract.
public enum ElementType: Sendable, Equatable {
    case float32, float16, bfloat16

    public var byteWidth: Int { self == .float32 ? 4 : 2 }
}
