/// Rows picked by a facility-location greedy, in pick order, with f over the ground set that was
/// asked for.
public struct GreedyOutcome: Sendable, Equatable {
    public var picks: [Int]
    public var value: Double
    public init(picks: [Int], value: Double) {
        self.picks = picks
        self.value = value
    }
}
