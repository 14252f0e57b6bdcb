/// The type byte at offset 7 of a frame: which message its payload holds.
///
/// Raw values are part of the protocol and never change meaning; a new
/// message gets a new number.
public enum MessageType: UInt8, Sendable, CaseIterable {
    case hello = 1, welcome, reject, ready, heartbeat, reference, assign, partialSum, scores, shardFailed,
        curriculum, done, error, assignPart, partPicks, challenge, auth, authProof, assignTask, taskResult, weights

    /// The name used in `docs/protocol.md` and as the prefix of field names in errors.
    public var name: String {
        switch self {
        case .hello: "hello"
        case .welcome: "welcome"
        case .reject: "reject"
        case .ready: "ready"
        case .heartbeat: "heartbeat"
        case .reference: "reference"
        case .assign: "assign"
        case .partialSum: "partialSum"
        case .scores: "scores"
        case .shardFailed: "shardFailed"
        case .curriculum: "curriculum"
        case .done: "done"
        case .error: "error"
        case .assignPart: "assignPart"
        case .partPicks: "partPicks"
        case .challenge: "challenge"
        case .auth: "auth"
        case .authProof: "authProof"
        case .assignTask: "assignTask"
        case .taskResult: "taskResult"
        case .weights: "weights"
        }
    }
}
