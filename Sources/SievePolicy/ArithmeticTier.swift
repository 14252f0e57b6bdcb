/// One difficulty tier: an operation and the ranges its two operands are drawn from.
public struct ArithmeticTier: Sendable, Equatable {
    /// The operator character: "+", "-" or "*". For "-" the generator orders the operands so
    /// the answer is never negative.
    public let operation: Character
    /// Range of the left operand.
    public let left: ClosedRange<Int>
    /// Range of the right operand.
    public let right: ClosedRange<Int>
    /// A readable summary, e.g. "10...99 + 10...99".
    public var description: String { "\(left.lowerBound)...\(left.upperBound) \(operation) \(right.lowerBound)...\(right.upperBound)" }

    public init(operation: Character, left: ClosedRange<Int>, right: ClosedRange<Int>) {
        self.operation = operation
        self.left = left
        self.right = right
    }

    /// The value of `a op b`.
    public func apply(_ a: Int, _ b: Int) -> Int {
        switch operation {
        case "+": return a + b
        case "-": return a - b
        default: return a * b
        }
    }
}
