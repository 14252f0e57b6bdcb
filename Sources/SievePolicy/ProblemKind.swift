/// What sort of problem a `Problem` is. Only the train split holds kinds other than `regular`.
public enum ProblemKind: String, Sendable, Equatable, CaseIterable {
    /// A problem of its tier, solvable by a competent policy.
    case regular
    /// Low utility, always solved: "a+0=" with a one-digit a. Its rollouts agree, so its
    /// GRPO gradient is zero.
    case trivial
    /// Low utility, never solved: operands so long that the prompt fits the context but the
    /// answer cannot.
    case tooLong
    /// Low utility, never solved: the labelled answer is zero-padded ("0085"), a format the
    /// policy never writes; the true answer is canonical.
    case malformedLabel
}
