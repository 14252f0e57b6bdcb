import SieveWire

/// Where an epoch stands. The reduction and score steps map to wire phases; `diversity` is
/// GreeDi's first round (parts greedy on workers), `finalGreedy` its second (on the coordinator).
enum EpochStep: Equatable {
    case reduce(Phase)
    case score
    case diversity
    case finalGreedy
    /// A GRPO step of a live run, data-parallel over the workers.
    case train(Int)
    /// The test set's accuracy after an epoch's training.
    case evaluate

    var name: String {
        switch self {
        case .reduce(.validationSum): return "validation sum"
        case .reduce: return "training sum"
        case .score: return "score"
        case .diversity: return "diversity"
        case .finalGreedy: return "final greedy"
        case let .train(step): return "train step \(step + 1)"
        case .evaluate: return "evaluation"
        }
    }
}
