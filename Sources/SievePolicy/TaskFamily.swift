/// The built-in task families (`--task`). Each family generates its problems procedurally from
/// (task config, split, index); `ArithmeticTasks.problem` dispatches on the config's family.
public enum TaskFamily: String, Sendable, Equatable, CaseIterable, Codable {
    /// Reversed-output addition and its pool components (`ReversedAdditionTasks`): a skill a
    /// small transformer learns abruptly, so a warm start caught mid-transition leaves GRPO
    /// something to complete. The default.
    case reversedAddition = "reversed-addition"
    /// The five-tier arithmetic of the first built-in policy (`ArithmeticTasks.tiers`), kept so
    /// that older runs stay reproducible.
    case arithmetic
}

/// What part of a pool a problem comes from, for per-component figures of what a curriculum
/// picked. Validation and test problems are always `target`.
public enum TaskComponent: String, Sendable, Equatable, CaseIterable, Codable {
    /// The skill the validation and test sets measure.
    case target
    /// Meant to be solved by the warm start (all rollouts right, zero gradient); see
    /// `ReversedAdditionTasks` for what the reversed task's warm start measures.
    case easy
    /// Never solved by the warm start: zero GRPO gradient.
    case hard
    /// A target question whose training reward is wrong in a way the policy meets.
    case unreliable
    /// Off-target: a family the validation set never asks.
    case distractor

    /// Position in `allCases`, for per-component counts.
    public var index: Int { Self.allCases.firstIndex(of: self)! }
}
