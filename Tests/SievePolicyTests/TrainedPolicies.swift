@testable import SievePolicy
import Synchronization

/// Warmed-up policies shared by several tests, trained once per test process.
enum TrainedPolicies {
    /// Only tier 0 (one-digit addition), in every split.
    static let tierZeroTasks = TaskConfig(seed: 2, tierWeights: [1, 0, 0, 0, 0], evaluationTierWeights: [1, 0, 0, 0, 0])

    /// Clean tier-0 problems the warm-up did not draw (train indices from 10,000), sharing its
    /// questions: where "competent" is measured.
    static func evaluationProblems(_ count: Int) -> [Problem] {
        ArithmeticTasks.problems(.train, 10_000..<(10_000 + count), config: tierZeroTasks)
    }

    private static let cachedTierZero = Mutex<Policy?>(nil)

    /// Policy seed 1 after 300 warm-up steps on 100 clean tier-0 train problems: partially
    /// competent on the train split's one-digit sums. (The test split owns other one-digit sums,
    /// about ten, which a policy that saw 80 facts does not generalize to; so the tests that
    /// need a competent policy evaluate on train questions, `evaluationProblems`.) Each call
    /// returns a fresh copy.
    static func tierZero() -> Policy {
        cachedTierZero.withLock { cached in
            if cached == nil {
                let policy = Policy(seed: 1)
                WarmUp.train(policy: policy, problems: ArithmeticTasks.problems(.train, 0..<100, config: tierZeroTasks),
                             steps: 300, seed: 3, batchSize: 32)
                cached = policy
            }
            return cached!.copy()
        }
    }

    private static let cachedReversed = Mutex<WarmUpRecipe.Outcome?>(nil)

    /// The reversed-addition task's standard warm-up (`WarmUpRecipe.reversedAddition`), run once
    /// per test process: stopped inside its validation band.
    static func reversedWarmUpOutcome() -> WarmUpRecipe.Outcome {
        cachedReversed.withLock { cached in
            if cached == nil { cached = WarmUpRecipe.reversedAddition.train(threads: 2) }
            return cached!
        }
    }

    /// A fresh copy of that warm start.
    static func reversedWarmStart() -> Policy { reversedWarmUpOutcome().policy.copy() }
}
