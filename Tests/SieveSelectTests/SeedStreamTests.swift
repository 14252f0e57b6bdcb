@testable import SieveSelect
import XCTest

/// SeedStream's draws, pinned to values computed outside Swift from docs/methods.md's recipe
/// (start = mix(mix(seed XOR purpose) + epoch); each draw adds 0x9E3779B97F4A7C15 and returns
/// mix(state)), so building it on SieveKernels' SplitMix64 cannot have changed a curriculum.
final class SeedStreamTests: XCTestCase {
    func testDrawsFollowTheDocumentedRecipe() {
        var random = SeedStream(seed: 3, epoch: 1, purpose: SeedStream.randomPurpose)
        XCTAssertEqual((0..<3).map { _ in random.next() }, [0xE973_176D_4379_DB70, 0x9B95_F722_572E_CFE4, 0x1EEE_AD05_6AD5_43D3])
        var gainRL = SeedStream(seed: 42, epoch: 7, purpose: SeedStream.gainRLPurpose)
        XCTAssertEqual((0..<3).map { _ in gainRL.next() }, [0xF647_300C_E220_9529, 0xB3C8_D69C_3852_0612, 0xF58B_220F_EF25_8D00])
    }
}
