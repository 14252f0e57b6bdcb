import Foundation
import Logging
import SieveData

/// `--log-format json`: one JSON object per line on stderr, for log collectors
/// (`time`, `level`, `label`, `message`, then the metadata keys).
struct JSONLogHandler: LogHandler {
    let label: String
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { $1 }
        var fields = ["\"time\": \(JSONText.quoted(Self.timestamp()))", "\"level\": \"\(event.level)\"",
                      "\"label\": \(JSONText.quoted(label))", "\"message\": \(JSONText.quoted(event.message.description))"]
        for key in merged.keys.sorted() { fields.append("\(JSONText.quoted(key)): \(JSONText.quoted("\(merged[key]!)"))") }
        FileHandle.standardError.write(Data(("{" + fields.joined(separator: ", ") + "}\n").utf8))
    }

    static func timestamp() -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: Date())
    }
}
