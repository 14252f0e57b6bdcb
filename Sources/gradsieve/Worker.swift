import ArgumentParser
import Foundation
import SieveCore
import SieveCluster
import SieveUV

struct Worker: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Join a coordinator and score the shards it assigns.",
        discussion: """
        Example:
          gradsieve worker --connect coordinator-host:7070 --data /mnt/pool
        Without --data the worker opens the coordinator's DATA path. It exits 0 when the
        coordinator says the run is over.
        """)

    @Option(help: "The coordinator's HOST:PORT.")
    var connect: String

    @Option(help: "This machine's path to the pool (default: the coordinator's path).")
    var data: String?

    @Option(help: "Shards to compute at once (default: 1).")
    var slots: Int = 1

    @Option(help: "Name shown in the coordinator's logs and run.json (default: host-pid).")
    var name: String?

    @Option(help: "File holding the cluster token, if the coordinator requires one.")
    var tokenFile: String?

    @Option(help: "Keep retrying to reach the coordinator for this many seconds.")
    var connectTimeout: Double = 30

    @Option(help: "Log level: debug, info, warning, error.")
    var logLevel: String = "info"

    @Option(help: "Log format: text or json (one object per line).")
    var logFormat: String = "text"

    func validate() throws {
        guard Endpoint(parsing: connect) != nil else { throw ValidationError("--connect \(connect) is not HOST:PORT") }
        guard slots > 0 else { throw ValidationError("--slots must be positive, not \(slots)") }
        guard ["text", "json"].contains(logFormat) else { throw ValidationError("--log-format \(logFormat) is not text or json") }
        guard LogSetup.level(logLevel) != nil else { throw ValidationError("--log-level \(logLevel) is not debug, info, warning or error") }
    }

    func run() throws {
        let logger = LogSetup.logger("gradsieve.worker", level: logLevel, format: logFormat)
        let workerName = name ?? "\(ProcessInfo.processInfo.hostName)-\(getpid())"
        // `follow:DATA` and `live:MANIFEST` (what `select --follow` and the demo pass) name a
        // source, not a file; only a plain directory is made absolute.
        let dataPath = data.map { path in
            [FollowSource.scheme, LiveManifest.scheme].contains(where: path.hasPrefix) ? path : URL(fileURLWithPath: path).standardizedFileURL.path
        }
        let service = try WorkerService(endpoint: Endpoint(parsing: connect)!, name: workerName, slots: slots,
                                        dataPath: dataPath, token: try TokenFile.read(tokenFile), logger: logger,
                                        connectTimeoutSeconds: connectTimeout,
                                        shardDelayMillis: Self.shardDelayMillis(ProcessInfo.processInfo.environment))
        let code = service.run()
        if code != 0 { throw ExitCode(code) }
    }

    /// Fault injection for tests and drills (docs/operations.md): GRADSIEVE_SHARD_DELAY_MS
    /// stretches every shard by that many milliseconds; 0 when unset or not a number.
    static func shardDelayMillis(_ environment: [String: String]) -> UInt32 {
        environment["GRADSIEVE_SHARD_DELAY_MS"].flatMap { UInt32($0) } ?? 0
    }
}
