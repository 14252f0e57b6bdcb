/// Overflow-checked arithmetic on tensor shapes.
///
/// Shapes come from untrusted headers; a product that wraps around could make
/// a huge tensor look small and pass the size check, so every multiplication
/// is checked.
enum ShapeMath {
    /// The number of elements of `shape`, or nil on a negative dimension or
    /// overflow. An empty shape (a scalar) has one element.
    static func elementCount(_ shape: [Int]) -> Int? {
        var product = 1
        for dimension in shape {
            guard dimension >= 0 else { return nil }
            let (next, overflow) = product.multipliedReportingOverflow(by: dimension)
            if overflow { return nil }
            product = next
        }
        return product
    }

    /// The number of bytes of `shape` in `dtype`, or nil on overflow.
    static func byteCount(_ shape: [Int], _ dtype: DType) -> Int? {
        guard let count = elementCount(shape) else { return nil }
        let (bytes, overflow) = count.multipliedReportingOverflow(by: dtype.byteWidth)
        return overflow ? nil : bytes
    }

    /// `[2, 3]` style text for messages.
    static func text(_ shape: [Int]) -> String {
        "[" + shape.map(String.init).joined(separator: ", ") + "]"
    }
}
