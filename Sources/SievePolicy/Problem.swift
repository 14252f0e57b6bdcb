/// One arithmetic question with its labelled and true answers.
///
/// The same (config, split, index) always gives the same problem, whoever generates it.
public struct Problem: Sendable, Equatable {
    /// Position in its split; with the split and the task seed it names the problem.
    public let index: Int
    /// Everything the policy sees before answering: the fixed prefix, then the question,
    /// e.g. "Q:37+48=".
    public let prompt: String
    /// Number of characters of `prompt` that are the fixed prefix ("Q:" gives 2).
    public let prefixLength: Int
    /// The labelled answer, which rewards are computed against. Differs from `trueAnswer` for
    /// noisy-label and malformed-label train problems.
    public let answer: String
    /// The correct answer in canonical form (decimal, no leading zeros), for evaluation.
    public let trueAnswer: String
    /// Difficulty tier, 0..<ArithmeticTasks.tiers.count; -1 for low-utility problems.
    public let tier: Int
    /// Regular or one of the low-utility kinds.
    public let kind: ProblemKind
    /// Which split the problem belongs to.
    public let split: Split

    public init(index: Int, prompt: String, prefixLength: Int, answer: String, trueAnswer: String,
                tier: Int, kind: ProblemKind, split: Split) {
        self.index = index
        self.prompt = prompt
        self.prefixLength = prefixLength
        self.answer = answer
        self.trueAnswer = trueAnswer
        self.tier = tier
        self.kind = kind
        self.split = split
    }

    /// True when the labelled answer is not the true answer (label noise or a malformed label).
    public var hasWrongLabel: Bool { answer != trueAnswer }
}
