import Foundation
@testable import SievePolicy

/// Warmed-up policies shared by several tests, trained once per test process.
enum TrainedPolicies {
    /// Only tier 0 (one-digit addition), in every split.
    static let tierZeroTasks = TaskConfig(seed: 2, tierWeights: [1, 0, 0, 0, 0], evaluationTierWeights: [1, 0, 0, 0, 0])

    private static let lock = NSLock()
    private static var cachedTierZero: Policy?

    /// Policy seed 1 after 300 warm-up steps on 100 clean tier-0 problems: partially competent
    /// (about two thirds right greedily). Each call returns a fresh copy.
    static func tierZero() -> Policy {
        lock.lock()
        defer { lock.unlock() }
        if cachedTierZero == nil {
            let policy = Policy(seed: 1)
            WarmUp.train(policy: policy, problems: ArithmeticTasks.problems(.validation, 0..<100, config: tierZeroTasks),
                         steps: 300, seed: 3, batchSize: 32)
            cachedTierZero = policy
        }
        return cachedTierZero!.copy()
    }
}
