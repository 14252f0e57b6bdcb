import Logging

enum LogSetup {
    static func level(_ text: String) -> Logger.Level? {
        switch text {
        case "debug": return .debug
        case "info": return .info
        case "warning": return .warning
        case "error": return .error
        default: return nil
        }
    }

    /// Log lines go to stderr, as text or one JSON object per line; stdout carries only results.
    static func logger(_ label: String, level: String, format: String = "text") -> Logger {
        if format == "json" {
            LoggingSystem.bootstrap { JSONLogHandler(label: $0) }
        } else {
            LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
        }
        var logger = Logger(label: label)
        logger.logLevel = self.level(level) ?? .info
        return logger
    }
}
