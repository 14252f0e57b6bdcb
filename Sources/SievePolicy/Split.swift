/// The three disjoint sets of problems. Its raw value is mixed into every seed of a problem, so
/// train problem 7 and validation problem 7 are unrelated draws, and every question belongs to
/// exactly one split whatever the seed (`ArithmeticTasks.owner`), so the same question is never
/// in two splits.
public enum Split: UInt64, Sendable, CaseIterable, Equatable {
    /// The pool a curriculum is selected from; the only split with label noise and low-utility
    /// problems.
    case train = 0
    /// The trusted validation set: always clean (true labels, regular problems).
    case validation = 1
    /// The held-out test set: always clean.
    case test = 2
}
