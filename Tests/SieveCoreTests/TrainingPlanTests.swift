import XCTest
@testable import SieveCore

final class TrainingPlanTests: XCTestCase {
    func testPassesRunThroughTheCurriculumInOrderWithAShortLastBatch() {
        let plan = TrainingPlan(batchSize: 4, passes: 2)
        XCTAssertEqual(plan.batches(curriculum: [5, 6, 7]), [[5, 6, 7, 5], [6, 7]])
    }

    func testStepsPerEpochFillsExactlyThatManyFullBatchesWhateverThePasses() {
        // The full-data baseline: a 10-row curriculum for the 3 steps of a 4-row budget's 3 passes.
        let plan = TrainingPlan(batchSize: 4, passes: 1, stepsPerEpoch: 3)
        XCTAssertEqual(plan.batches(curriculum: Array(0..<10)), [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 0, 1]])
        // A curriculum shorter than the steps need is repeated in order.
        XCTAssertEqual(plan.batches(curriculum: [9, 8]), [[9, 8, 9, 8], [9, 8, 9, 8], [9, 8, 9, 8]])
        XCTAssertEqual(plan.batches(curriculum: []), [])
    }

    func testEqualStepsForABudgetAndForTheWholePool() {
        let budget = TrainingPlan(batchSize: 32, passes: 4, stepsPerEpoch: 32)
        XCTAssertEqual(budget.batches(curriculum: Array(0..<256)).count, 32)
        XCTAssertEqual(budget.batches(curriculum: Array(0..<4096)).count, 32)
        XCTAssertEqual(TrainingPlan(batchSize: 32, passes: 4).batches(curriculum: Array(0..<256)).count, 32)
    }
}
