import ArgumentParser
import SieveCluster

/// Flags shared by `select` and `coordinator`: what to compute and where to write it.
struct RunOptions: ParsableArguments {
    @Option(help: "The pool directory (samples.jsonl, signals/, validation/).")
    var data: String

    @Option(help: "Selection method: \(Methods.all.joined(separator: ", ")).")
    var method: String = "gradalign"

    @Option(help: "How many problems the curriculum holds.")
    var budget: Int = 1000

    @Option(help: "Output directory for run.json and epoch-NNNN/.")
    var out: String

    @Flag(help: "Overwrite a run already in OUT.")
    var force = false

    @Option(help: "Rows per training shard (fixed by the data, never by the worker count).")
    var shardRows: Int = 4096

    @Option(help: "Rows per validation shard.")
    var validationShardRows: Int = 4096

    @Option(help: "Epochs to run.")
    var epochs: Int = 1

    @Option(help: "Heartbeat interval the coordinator asks workers for, in milliseconds.")
    var heartbeatMillis: UInt32 = 1000

    @Option(help: "Declare a silent worker lost after this many seconds.")
    var workerTimeout: Double = 30

    @Option(help: "Log level: debug, info, warning, error.")
    var logLevel: String = "info"

    func validate() throws {
        guard Methods.all.contains(method) else {
            throw ValidationError("--method \(method) is not one of: \(Methods.all.joined(separator: ", "))")
        }
        guard budget > 0 else { throw ValidationError("--budget must be positive, not \(budget)") }
        guard shardRows > 0 else { throw ValidationError("--shard-rows must be positive, not \(shardRows)") }
        guard validationShardRows > 0 else { throw ValidationError("--validation-shard-rows must be positive") }
        guard epochs > 0 else { throw ValidationError("--epochs must be positive, not \(epochs)") }
        guard workerTimeout > 0 else { throw ValidationError("--worker-timeout must be positive") }
        guard LogSetup.level(logLevel) != nil else { throw ValidationError("--log-level \(logLevel) is not debug, info, warning or error") }
    }
}

enum Methods {
    static let all = ["gradalign"]
}
