import XCTest
import SieveKernels

final class ElementDecodingTests: XCTestCase {
    private func decode(_ bytes: [UInt8], _ index: Int, _ type: ElementType, byteOffset: Int = 1) -> Float {
        let storage = UnsafeMutableRawPointer.allocate(byteCount: bytes.count + byteOffset, alignment: 16)
        defer { storage.deallocate() }
        bytes.withUnsafeBytes { (storage + byteOffset).copyMemory(from: $0.baseAddress!, byteCount: bytes.count) }
        return RowKernels.element(UnsafeRawPointer(storage + byteOffset), index, type)
    }

    func testDecodesFloat32LittleEndian() {
        let values: [Float] = [1.5, -0.0, .greatestFiniteMagnitude, .leastNonzeroMagnitude, -3.25]
        let bytes = values.flatMap { littleEndianBytes($0.bitPattern) }
        for (index, value) in values.enumerated() {
            XCTAssertEqual(decode(bytes, index, .float32).bitPattern, value.bitPattern, "element \(index)")
        }
    }

    func testDecodesFloat16() {
        let cases: [(UInt16, Float)] = [
            (0x3C00, 1), (0xC000, -2), (0x3555, 0.333251953125), (0x7BFF, 65504),
            (0x0001, Float(bitPattern: 0x3380_0000)),  // smallest subnormal, 2^-24
            (0x8000, -0.0), (0x7C00, .infinity), (0xFC00, -.infinity),
        ]
        let bytes = cases.flatMap { littleEndianBytes($0.0) }
        for (index, (bits, value)) in cases.enumerated() {
            XCTAssertEqual(decode(bytes, index, .float16).bitPattern, value.bitPattern, "0x\(String(bits, radix: 16))")
        }
        XCTAssertTrue(decode(littleEndianBytes(UInt16(0x7E00)), 0, .float16).isNaN)
    }

    func testDecodesBFloat16AsTheUpperHalfOfAFloat32() {
        let cases: [(UInt16, Float)] = [
            (0x3F80, 1), (0xC040, -3), (0x3F81, 1.0078125), (0x7F7F, Float(bitPattern: 0x7F7F_0000)),
            (0x0001, Float(bitPattern: 0x0001_0000)), (0x8000, -0.0), (0x7F80, .infinity), (0xFF80, -.infinity),
        ]
        let bytes = cases.flatMap { littleEndianBytes($0.0) }
        for (index, (bits, value)) in cases.enumerated() {
            XCTAssertEqual(decode(bytes, index, .bfloat16).bitPattern, value.bitPattern, "0x\(String(bits, radix: 16))")
        }
        XCTAssertTrue(decode(littleEndianBytes(UInt16(0x7FC0)), 0, .bfloat16).isNaN)
    }

    func testTestEncodersRoundToNearestEven() {
        // The expected values of the other tests come from these encoders, so pin them too.
        XCTAssertEqual(bfloat16Bits(1), 0x3F80)
        XCTAssertEqual(bfloat16Bits(Float(bitPattern: 0x3F80_8000)), 0x3F80, "tie goes to even")
        XCTAssertEqual(bfloat16Bits(Float(bitPattern: 0x3F81_8000)), 0x3F82, "tie goes to even")
        XCTAssertEqual(bfloat16Bits(Float(bitPattern: 0x3F80_8001)), 0x3F81)
        XCTAssertEqual(Float16(Float(1 + 1.0 / 2048)).bitPattern, 0x3C00)
    }

    func testByteWidths() {
        XCTAssertEqual(ElementType.float32.byteWidth, 4)
        XCTAssertEqual(ElementType.float16.byteWidth, 2)
        XCTAssertEqual(ElementType.bfloat16.byteWidth, 2)
    }
}
