import Logging
import SieveCore

extension LogLevel {
    /// The core's log levels as swift-log's: the core itself imports no logging library.
    var swiftLogLevel: Logger.Level {
        switch self {
        case .debug: return .debug
        case .info: return .info
        case .warning: return .warning
        case .error: return .error
        }
    }
}
