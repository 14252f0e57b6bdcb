/// Verifiable integer arithmetic written as text: the policy reads "Q:37+48=" and should write
/// "85" followed by the end-of-answer token.
///
/// Problem i of a split is a pure function of (config, split, i): its own random streams are
/// named by (seed, split, index), so any worker can generate any problem alone.
public enum ArithmeticTasks {
    /// The five tiers, easiest first: 1-digit +, 2-digit +, 2-digit − (never negative),
    /// 1-digit × 2-digit, 2-digit × 2-digit.
    public static let tiers: [ArithmeticTier] = [
        ArithmeticTier(operation: "+", left: 0...9, right: 0...9),
        ArithmeticTier(operation: "+", left: 10...99, right: 10...99),
        ArithmeticTier(operation: "-", left: 10...99, right: 10...99),
        ArithmeticTier(operation: "*", left: 2...9, right: 10...99),
        ArithmeticTier(operation: "*", left: 10...99, right: 10...99),
    ]

    /// The longest answer of a regular problem (99*99 = 9801), in characters.
    public static let longestRegularAnswer = 4

    /// The most tokens a policy may write for one answer, end token included: room for every
    /// regular and malformed label. Rollouts and greedy evaluation both stop there (or earlier,
    /// at the end token or the end of the context).
    public static let answerTokenLimit = 8

    /// Problem `index` of `split`, of the config's task family (`config.task`).
    public static func problem(_ split: Split, index: Int, config: TaskConfig) -> Problem {
        precondition(index >= 0, "problem index must not be negative")
        if config.task == .reversedAddition { return ReversedAdditionTasks.problem(split, index: index, config: config) }
        precondition(CharacterVocabulary.encode(config.prefix) != nil, "the prefix must use vocabulary characters")
        var draws = RandomStream(config.seed, RandomPurpose.problem.rawValue, split.rawValue, UInt64(index))
        let lowUtilityDraw = draws.nextUnit()
        if split == .train && lowUtilityDraw < config.lowUtilityShare {
            return lowUtilityProblem(index: index, config: config, draws: &draws)
        }
        let weights = split == .train ? config.tierWeights : config.evaluationTierWeights
        let tier = weightedChoice(weights, &draws)
        let (a, b) = operands(of: tier, for: split, &draws)
        let question = "\(a)\(tiers[tier].operation)\(b)="
        let trueAnswer = String(tiers[tier].apply(a, b))
        var answer = trueAnswer
        var noise = RandomStream(config.seed, RandomPurpose.labelNoise.rawValue, split.rawValue, UInt64(index))
        if split == .train && noise.nextUnit() < config.labelNoise {
            answer = String(wrongValue(near: tiers[tier].apply(a, b), &noise))
        }
        return Problem(index: index, prompt: config.prefix + question, prefixLength: config.prefix.count,
                       answer: answer, trueAnswer: trueAnswer, tier: tier, kind: .regular, split: split)
    }

    /// Problems `range` of `split`, in index order.
    public static func problems(_ split: Split, _ range: Range<Int>, config: TaskConfig) -> [Problem] {
        range.map { problem(split, index: $0, config: config) }
    }

    /// The split a question belongs to. Every question (tier, a, b) of every tier has exactly
    /// one owner, the same for every task seed: about 80% of each tier's questions are train
    /// questions, 10% validation and 10% test. So no test or validation question is ever in a
    /// pool or a warm-up, whatever seeds made them: test accuracy measures what the policy
    /// learned, not what it memorized. (The smallest tier, 1-digit sums, has 100 questions;
    /// `ArithmeticTasksTests` checks that every split owns some of every tier.)
    public static func owner(tier: Int, _ a: Int, _ b: Int) -> Split {
        var h = (UInt64(tier) << 40) ^ (UInt64(a) << 20) ^ UInt64(b)
        h = (h ^ (h >> 30)) &* 0xBF58_476D_1CE4_E5B9
        h = (h ^ (h >> 27)) &* 0x94D0_49BB_1331_11EB
        h ^= h >> 31
        switch h % 10 {
        case 0: return .test
        case 1: return .validation
        default: return .train
        }
    }

    /// Operands of a question of `tier` that `split` owns, drawn uniformly among those.
    private static func operands(of tier: Int, for split: Split, _ draws: inout RandomStream) -> (Int, Int) {
        let shape = tiers[tier]
        while true {
            var a = shape.left.lowerBound + draws.nextInt(below: shape.left.count)
            var b = shape.right.lowerBound + draws.nextInt(below: shape.right.count)
            if shape.operation == "-" && a < b { swap(&a, &b) }
            if owner(tier: tier, a, b) == split { return (a, b) }
        }
    }

    /// An index drawn with probability proportional to its weight (one uniform draw).
    static func weightedChoice(_ weights: [Double], _ draws: inout RandomStream, count: Int = tiers.count,
                               what: String = "one weight per tier") -> Int {
        precondition(weights.count == count, what)
        let total = weights.reduce(0, +)
        precondition(total > 0 && weights.allSatisfy { $0 >= 0 }, "tier weights must be non-negative, not all zero")
        var remaining = draws.nextUnit() * total
        for (tier, weight) in weights.enumerated() where weight > 0 {
            if remaining < weight { return tier }
            remaining -= weight
        }
        return weights.lastIndex { $0 > 0 }!
    }

    /// A plausible wrong label: the true value moved by 1...10 either way, never negative.
    private static func wrongValue(near value: Int, _ draws: inout RandomStream) -> Int {
        let offset = 1 + draws.nextInt(below: 10)
        if value - offset < 0 || draws.nextInt(below: 2) == 0 { return value + offset }
        return value - offset
    }

    private static func lowUtilityProblem(index: Int, config: TaskConfig, draws: inout RandomStream) -> Problem {
        let kinds: [ProblemKind] = [.trivial, .tooLong, .malformedLabel]
        let kind = kinds[draws.nextInt(below: kinds.count)]
        let question: String, trueAnswer: String, answer: String
        switch kind {
        case .trivial:
            var a = draws.nextInt(below: 10)
            while owner(tier: 0, a, 0) != .train { a = draws.nextInt(below: 10) }  // "a+0=" is a tier-0 question
            (question, trueAnswer, answer) = ("\(a)+0=", "\(a)", "\(a)")
        case .tooLong:
            let a = longNumber(digits: config.tooLongDigits, &draws)
            let b = longNumber(digits: config.tooLongDigits, &draws)
            question = a + "+" + b + "="
            trueAnswer = decimalSum(a, b)
            answer = trueAnswer
        default:
            let tierIndex = 1 + draws.nextInt(below: tiers.count - 1)
            let tier = tiers[tierIndex]
            let (a, b) = operands(of: tierIndex, for: .train, &draws)
            let value = String(tier.apply(a, b))
            question = "\(a)\(tier.operation)\(b)="
            trueAnswer = value
            answer = String(repeating: "0", count: 2) + value
        }
        return Problem(index: index, prompt: config.prefix + question, prefixLength: config.prefix.count,
                       answer: answer, trueAnswer: trueAnswer, tier: -1, kind: kind, split: .train)
    }

    private static func longNumber(digits: Int, _ draws: inout RandomStream) -> String {
        var text = String(1 + draws.nextInt(below: 9))
        for _ in 1..<max(digits, 1) { text += String(draws.nextInt(below: 10)) }
        return text
    }

    /// The sum of two non-negative decimal strings, digit by digit (they may exceed Int).
    private static func decimalSum(_ a: String, _ b: String) -> String {
        let x = a.reversed().map { Int(String($0))! }, y = b.reversed().map { Int(String($0))! }
        var digits: [Int] = [], carry = 0
        for i in 0..<max(x.count, y.count) {
            let sum = (i < x.count ? x[i] : 0) + (i < y.count ? y[i] : 0) + carry
            digits.append(sum % 10)
            carry = sum / 10
        }
        if carry > 0 { digits.append(carry) }
        return String(digits.reversed().map { Character(String($0)) })
    }
}
