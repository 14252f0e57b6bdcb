import XCTest
@testable import SieveCore

final class ShardLayoutTests: XCTestCase {
    func testShardsAreFixedBlocksWithAShortLastOne() {
        let layout = ShardLayout(total: 10, size: 4)
        XCTAssertEqual(layout.count, 3)
        XCTAssertEqual(layout.rows(of: 0), 0..<4)
        XCTAssertEqual(layout.rows(of: 2), 8..<10)
        XCTAssertEqual(ShardLayout(total: 0, size: 4).count, 0)
    }

    func testRequeuedShardsGoOutLowestFirst() {
        var work = PhaseWork(shards: 4)
        XCTAssertEqual(work.take(for: 1)?.shard, 0)
        XCTAssertEqual(work.take(for: 1)?.shard, 1)
        work.requeue(0)
        XCTAssertEqual(work.take(for: 2)?.shard, 0)
        XCTAssertEqual(work.take(for: 2)?.shard, 2)
    }
}
