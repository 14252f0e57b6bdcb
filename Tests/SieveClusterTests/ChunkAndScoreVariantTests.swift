import XCTest
import SieveCore
@testable import SieveCluster
import SievePolicy

/// GradAlign's released regime, as the live demo runs it: a fresh chunk of the pool per epoch,
/// and the three ranking scores.
final class ChunkAndScoreVariantTests: XCTestCase {
    func manifest(chunk: Int?) -> LiveManifest {
        var m = LiveManifest(checkpoint: "w.ckpt", poolRows: 1000, validationRows: 8, testRows: 8, taskSeed: 1, labelNoise: 0.1,
                             lowUtilityShare: 0, tierWeights: [1, 1, 1, 1, 1], rollouts: 4, projectionDimension: 8, seed: 1)
        m.task = .reversedAddition
        m.chunkRows = chunk
        return m
    }

    func testEpochsTakeChunksInTurnAndRowsNameTheirProblems() {
        let m = manifest(chunk: 300)  // 3 whole chunks; the last 100 problems are never used
        XCTAssertEqual(m.epochRows, 300)
        XCTAssertEqual((1...7).map { m.chunkStart(epoch: $0) }, [0, 300, 600, 0, 300, 600, 0])
        XCTAssertEqual(m.problemIndex(row: 5, epoch: 2), 305)
        let whole = manifest(chunk: nil)
        XCTAssertEqual(whole.epochRows, 1000)
        XCTAssertEqual(whole.problemIndex(row: 5, epoch: 3), 5)
        XCTAssertEqual(m.tasks.task, .reversedAddition)
        XCTAssertEqual(manifest(chunk: nil).tasks.componentShares, ReversedAdditionTasks.defaultShares)
    }

    func testManifestsWrittenBeforeTheTaskFieldsStillRead() throws {
        let old = #"{"checkpoint":"w.ckpt","poolRows":10,"validationRows":2,"testRows":2,"taskSeed":1,"labelNoise":0.2,"lowUtilityShare":0.1,"tierWeights":[1,1,1,1,1],"rollouts":4,"projectionDimension":8,"seed":1}"#
        let path = NSTemporaryDirectory() + "old-manifest-\(getpid()).json"
        try old.write(toFile: path, atomically: true, encoding: .utf8)
        let m = try LiveManifest.read(path)
        XCTAssertEqual(m.tasks.task, .arithmetic)
        XCTAssertEqual(m.epochRows, 10)
    }

    func testGradAlignScoreVariantsComeFromTheColumns() throws {
        let columns: [String: [Double]] = ["score": [0.5, 0, -0.2], "cosine": [0.5, 0.9, -0.2], "grad_norm": [2, 0, 4],
                                           "success": [0.5, 1, 0.25]]
        XCTAssertEqual(GradAlignScore.sim.scores { columns[$0] }, [0.5, 0, -0.2])
        XCTAssertEqual(GradAlignScore.dot.scores { columns[$0] }, [1.0, 0, -0.8])
        let simacc = try XCTUnwrap(GradAlignScore.simacc.scores { columns[$0] })
        XCTAssertEqual(simacc[0], 0.5, accuracy: 1e-12)   // 4 * 0.25 * 0.5
        XCTAssertEqual(simacc[1], 0, accuracy: 1e-12)     // p = 1: no learnability
        XCTAssertEqual(simacc[2], -0.15, accuracy: 1e-12) // 4 * 0.1875 * -0.2
        XCTAssertNil(GradAlignScore.simacc.scores { $0 == "success" ? nil : columns[$0] }, "simacc needs success")
    }
}
