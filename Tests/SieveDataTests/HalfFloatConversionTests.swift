import XCTest
@testable import SieveData

final class HalfFloatConversionTests: XCTestCase {
    func testBFloat16RoundsToNearestEven() {
        XCTAssertEqual(floatToBFloat16Bits(1.0), 0x3F80)
        // 1 + 2^-8 lies exactly halfway between 1 and 1 + 2^-7: ties to even (1.0).
        XCTAssertEqual(floatToBFloat16Bits(Float(bitPattern: 0x3F80_8000)), 0x3F80)
        // 1 + 2^-7 + 2^-8 is halfway between two values; the even one is 1 + 2^-6.
        XCTAssertEqual(floatToBFloat16Bits(Float(bitPattern: 0x3F81_8000)), 0x3F82)
        // Just above halfway rounds up.
        XCTAssertEqual(floatToBFloat16Bits(Float(bitPattern: 0x3F80_8001)), 0x3F81)
        XCTAssertEqual(floatToBFloat16Bits(-2.5), 0xC020)
    }

    func testBFloat16OverflowBecomesInfinityAndNaNStaysNaN() {
        XCTAssertEqual(floatToBFloat16Bits(.greatestFiniteMagnitude), 0x7F80)
        XCTAssertEqual(floatToBFloat16Bits(-.infinity), 0xFF80)
        let nan = bfloat16BitsToFloat(floatToBFloat16Bits(.nan))
        XCTAssertTrue(nan.isNaN)
        // A NaN whose payload lives only in the low bits must not become infinity.
        XCTAssertTrue(bfloat16BitsToFloat(floatToBFloat16Bits(Float(bitPattern: 0x7F80_0001))).isNaN)
        XCTAssertTrue(bfloat16BitsToFloat(floatToBFloat16Bits(Float(bitPattern: 0xFF80_0001))).sign == .minus)
    }

    func testFloat16DecodesSpecialValues() {
        XCTAssertEqual(float16BitsToFloat(0x3C00), 1)
        XCTAssertEqual(float16BitsToFloat(0xC000), -2)
        XCTAssertEqual(float16BitsToFloat(0x7BFF), 65504)
        XCTAssertEqual(float16BitsToFloat(0x0001), Float(bitPattern: 0x3380_0000), "smallest subnormal is 2^-24")
        XCTAssertEqual(float16BitsToFloat(0x7C00), .infinity)
        XCTAssertTrue(float16BitsToFloat(0x7E00).isNaN)
    }

    func testFloat16EncodingRoundsToNearestEven() {
        XCTAssertEqual(floatToFloat16Bits(1 + 1.0 / 2048), 0x3C00, "halfway between 1 and 1+2^-10 ties to even")
        XCTAssertEqual(floatToFloat16Bits(1 + 3.0 / 2048), 0x3C02)
        XCTAssertEqual(floatToFloat16Bits(1e6), 0x7C00)
    }

    func testEveryBFloat16PatternRoundTrips() {
        for bits in UInt16.min...UInt16.max {
            let x = bfloat16BitsToFloat(bits)
            if x.isNaN { continue }
            XCTAssertEqual(floatToBFloat16Bits(x), bits)
        }
    }
}
