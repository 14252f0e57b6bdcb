import SieveKernels
import XCTest

/// The one SplitMix64 of the package against the reference implementation's outputs
/// (Vigna's splitmix64.c, seed 0), so moving it can never change a seeded stream.
final class SplitMix64Tests: XCTestCase {
    func testTheFirstOutputsOfSeedZeroAreTheReferenceOnes() {
        var generator = SplitMix64(seed: 0)
        XCTAssertEqual(generator.next(), 0xE220_A839_7B1D_CDAF)
        XCTAssertEqual(generator.next(), 0x6E78_9E6A_A1B9_65F4)
        XCTAssertEqual(generator.next(), 0x06C4_5D18_8009_454F)
    }

    func testMixIsTheOutputFunctionOfTheStream() {
        var generator = SplitMix64(seed: 12345)
        XCTAssertEqual(generator.next(), SplitMix64.mix(12345 &+ 0x9E37_79B9_7F4A_7C15))
    }
}
