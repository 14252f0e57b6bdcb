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
    /// Which component of its task's pool it comes from.
    public let component: TaskComponent
    /// When true, the training reward is inverted: r' = 1 - r against the labelled answer, so
    /// the problem's GRPO gradient is exactly -g of its clean twin. Only train problems of the
    /// `unreliable` component carry it; evaluation never looks at it.
    public let rewardInverted: Bool

    public init(index: Int, prompt: String, prefixLength: Int, answer: String, trueAnswer: String,
                tier: Int, kind: ProblemKind, split: Split, component: TaskComponent? = nil, rewardInverted: Bool = false) {
        self.index = index
        self.prompt = prompt
        self.prefixLength = prefixLength
        self.answer = answer
        self.trueAnswer = trueAnswer
        self.tier = tier
        self.kind = kind
        self.split = split
        self.component = component ?? Self.component(kind: kind, wrongLabel: answer != trueAnswer)
        self.rewardInverted = rewardInverted
    }

    /// The component of an arithmetic-task problem: regular problems are the target, noisy
    /// labels unreliable, trivial ones easy, unsolvable ones (too long, malformed label) hard.
    static func component(kind: ProblemKind, wrongLabel: Bool) -> TaskComponent {
        switch kind {
        case .regular: return wrongLabel ? .unreliable : .target
        case .trivial: return .easy
        case .tooLong, .malformedLabel: return .hard
        }
    }

    /// True when the labelled answer is not the true answer (label noise or a malformed label).
    public var hasWrongLabel: Bool { answer != trueAnswer }

    /// True when the reward GRPO trains on can differ from correctness (a wrong label or an
    /// inverted reward).
    public var hasUnreliableReward: Bool { hasWrongLabel || rewardInverted }
}
