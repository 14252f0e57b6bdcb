import SieveWire

/// Where an epoch stands. The reduction and score steps map to wire phases; `diversity` is
/// GreeDi's first round (parts greedy on workers), `finalGreedy` its second (on the coordinator).
enum EpochStep: Equatable {
    case reduce(Phase)
    case score
    case diversity
    case finalGreedy

    var name: String {
        switch self {
        case .reduce(.validationSum): return "validation sum"
        case .reduce: return "training sum"
        case .score: return "score"
        case .diversity: return "diversity"
        case .finalGreedy: return "final greedy"
        }
    }
}
