import SieveKernels

/// Test rows encoded independently of the code under test, and their decoded element values in
/// Double, which every expected value is computed from.
struct EncodedRow {
    let type: ElementType
    let bytes: [UInt8]
    /// The value each stored element decodes to (after rounding to the element type).
    let values: [Double]

    init(_ source: [Float], as type: ElementType) {
        self.type = type
        var bytes: [UInt8] = []
        var values: [Double] = []
        for x in source {
            switch type {
            case .float32:
                bytes += littleEndianBytes(x.bitPattern)
                values.append(Double(x))
            case .float16:
                let bits = Float16(x).bitPattern
                bytes += littleEndianBytes(bits)
                values.append(Double(Float16(bitPattern: bits)))
            case .bfloat16:
                let bits = bfloat16Bits(x)
                bytes += littleEndianBytes(bits)
                values.append(Double(Float(bitPattern: UInt32(bits) << 16)))
            }
        }
        self.bytes = bytes
        self.values = values
    }

    /// Calls `body` with the row stored `offset` bytes past a 16-byte-aligned address, so the
    /// kernels see rows that are not aligned to their element size or to a SIMD vector.
    func withRow<R>(atByteOffset offset: Int, _ body: (UnsafeRawPointer) -> R) -> R {
        let storage = UnsafeMutableRawPointer.allocate(byteCount: bytes.count + offset + 16, alignment: 16)
        defer { storage.deallocate() }
        bytes.withUnsafeBytes { (storage + offset).copyMemory(from: $0.baseAddress!, byteCount: bytes.count) }
        return body(UnsafeRawPointer(storage + offset))
    }
}

/// bfloat16 is the upper half of a Float32 after rounding to nearest, ties to even.
func bfloat16Bits(_ x: Float) -> UInt16 {
    if x.isNaN { return 0x7FC0 | UInt16(x.bitPattern >> 16 & 0x8000) }
    let bits = x.bitPattern
    let roundingBias: UInt32 = 0x7FFF + (bits >> 16 & 1)
    return UInt16(truncatingIfNeeded: (bits &+ roundingBias) >> 16)
}

func littleEndianBytes<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
    withUnsafeBytes(of: value.littleEndian) { Array($0) }
}

/// A fixed pseudo-random sequence in [-1, 1) (a 64-bit LCG), so failures reproduce.
struct TestValues {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> Float {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return Float(state >> 40) / Float(1 << 23) - 1
    }

    mutating func take(_ count: Int) -> [Float] { (0..<count).map { _ in next() } }

    static func take(_ count: Int, seed: UInt64) -> [Float] {
        var values = TestValues(seed: seed)
        return values.take(count)
    }
}
