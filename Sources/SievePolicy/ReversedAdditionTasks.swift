/// Reversed-output addition, the default task family: the policy reads "Q:347+285=" and writes
/// the sum's digits least significant first, "236" (632 reversed), then the end token. Written
/// that way, each answer digit depends only on the digits already seen and one carry, which a
/// 103k-parameter transformer learns under supervision (most-significant-first sums need the
/// carries before the first digit, which it does not learn). It learns it abruptly: no-carry
/// answers first, then the carry circuit; a warm start caught in between is where GRPO helps.
///
/// The train split mixes components, each with its own ground truth (the shares come from
/// `TaskConfig.componentShares` and `labelNoise`):
///
/// | component | question | answer | why it is in the pool |
/// |---|---|---|---|
/// | target | 3-digit + 3-digit | reversed sum | the skill validation and test measure |
/// | easy | 1-digit + 1-digit | reversed sum | meant to be solved; unsolved (0.02) after the target-only warm-up |
/// | hard | 4-digit + 4-digit | reversed sum | never solved by the warm start: zero gradient |
/// | unreliable | 3-digit + 3-digit | reversed sum, reward inverted | r' = 1 - r: its gradient is -g |
/// | distractor | 2-digit + 2-digit | reversed sum | off-target: validation never asks it; 0.00 at the warm start |
///
/// The standard warm-up (`WarmUpRecipe.reversedAddition`) trains on target problems only:
/// most mixes of other families tried delay or stall the carry transition (docs/policy.md has the
/// measurements), so at the warm start easy, hard and distractor are all unsolved and give zero
/// gradient, three fillers of different shapes around the target and the inverted rewards.
///
/// Validation and test are clean target problems. Every question belongs to one split
/// (`ArithmeticTasks.owner`, with a family code per question shape), so no pool and no warm-up
/// holds a validation or test question; unreliable problems draw train-owned target questions.
public enum ReversedAdditionTasks {
    /// The order of `TaskConfig.componentShares`.
    public static let componentOrder: [TaskComponent] = [.target, .easy, .hard, .distractor]
    /// 4 : 1 : 1 : 2 of the reliable part; with 20% unreliable: 40 / 10 / 10 / 20 / 20 percent.
    public static let defaultShares: [Double] = [4, 1, 1, 2]

    /// A question shape: operation, operand ranges, and the family code that names its questions
    /// in `ArithmeticTasks.owner` (apart from the arithmetic tiers 0-4).
    struct Shape {
        let operation: Character
        let left: ClosedRange<Int>
        let right: ClosedRange<Int>
        let family: Int
    }

    static let threeDigitSum = Shape(operation: "+", left: 100...999, right: 100...999, family: 10)
    static let twoDigitSum = Shape(operation: "+", left: 10...99, right: 10...99, family: 11)
    static let fourDigitSum = Shape(operation: "+", left: 1000...9999, right: 1000...9999, family: 12)
    static let oneDigitSum = Shape(operation: "+", left: 0...9, right: 0...9, family: 14)

    static func shape(of component: TaskComponent) -> Shape {
        switch component {
        case .target, .unreliable: return threeDigitSum
        case .easy: return oneDigitSum
        case .hard: return fourDigitSum
        case .distractor: return twoDigitSum
        }
    }

    /// Problem `index` of `split`: a pure function of (config.seed, split, index).
    public static func problem(_ split: Split, index: Int, config: TaskConfig) -> Problem {
        precondition(CharacterVocabulary.encode(config.prefix) != nil, "the prefix must use vocabulary characters")
        var draws = RandomStream(config.seed, RandomPurpose.problem.rawValue, split.rawValue, UInt64(index))
        var component = TaskComponent.target
        if split == .train {
            // The unreliable decision has a stream of its own, so raising --label-noise only
            // turns more problems unreliable.
            var noise = RandomStream(config.seed, RandomPurpose.labelNoise.rawValue, split.rawValue, UInt64(index))
            component = noise.nextUnit() < config.labelNoise ? .unreliable : componentOrder[ArithmeticTasks.weightedChoice(config.componentShares, &draws, count: componentOrder.count,
                                                                                      what: "one share per component: target, easy, hard, distractor")]
        }
        let shape = shape(of: component)
        let (a, b) = operands(shape, for: split, &draws)
        let value = shape.operation == "+" ? a + b : a * b
        let answer = reversedDigits(value)
        let tier = shape.family == threeDigitSum.family ? carries(a, b) : -1
        return Problem(index: index, prompt: config.prefix + "\(a)\(shape.operation)\(b)=", prefixLength: config.prefix.count,
                       answer: answer, trueAnswer: answer, tier: tier, kind: .regular, split: split,
                       component: component, rewardInverted: component == .unreliable)
    }

    /// The decimal digits of `value`, least significant first ("632" -> "236", "630" -> "036").
    public static func reversedDigits(_ value: Int) -> String {
        precondition(value >= 0, "answers are never negative")
        return String(String(value).reversed())
    }

    /// The carries of a + b written column by column (0 to 3 for 3-digit operands): the
    /// reversed task's difficulty tiers, used for test accuracy by tier.
    public static func carries(_ a: Int, _ b: Int) -> Int {
        var x = a, y = b, carry = 0, count = 0
        while x > 0 || y > 0 {
            carry = (x % 10 + y % 10 + carry) >= 10 ? 1 : 0
            count += carry
            x /= 10
            y /= 10
        }
        return count
    }

    /// Labels of the tiers (`Problem.tier`) for tables: the number of carries.
    public static let tierNames = ["0 carries", "1 carry", "2 carries", "3 carries", "-"]

    /// Operands of a question of `shape` that `split` owns, uniformly among those.
    static func operands(_ shape: Shape, for split: Split, _ draws: inout RandomStream) -> (Int, Int) {
        while true {
            let a = shape.left.lowerBound + draws.nextInt(below: shape.left.count)
            let b = shape.right.lowerBound + draws.nextInt(below: shape.right.count)
            if ArithmeticTasks.owner(tier: shape.family, a, b) == split { return (a, b) }
        }
    }
}
