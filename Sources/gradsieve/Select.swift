import ArgumentParser
import Foundation
import SieveCore
import SieveCluster
import SieveUV

struct Select: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a coordinator and N local worker processes, and write the curriculum.",
        discussion: """
        Example:
          gradsieve select --data pool --method gradalign --budget 1000 --workers 4 --out run1
        Gives the same curriculum as `gradsieve coordinator` plus hand-started workers.
        """)

    @OptionGroup var options: RunOptions

    @Option(help: "Local worker processes to start.")
    var workers: Int = 2

    @Option(help: "Shards each worker computes at once.")
    var slots: Int = 1

    func validate() throws {
        guard workers > 0 else { throw ValidationError("--workers must be positive, not \(workers)") }
        guard slots > 0 else { throw ValidationError("--slots must be positive, not \(slots)") }
    }

    func run() throws {
        let logger = LogSetup.logger("gradsieve.select", level: options.logLevel, format: options.logFormat)
        let setup = try RunSetup(options: options, expectWorkers: workers)
        var workers: LocalWorkers?
        let outcome = try setup.serve(endpoint: Endpoint(host: "127.0.0.1", port: 0), logger: logger) { service in
            var extra = ["--data", setup.configuration.dataPath, "--slots", "\(slots)", "--log-level", options.logLevel,
                         "--log-format", options.logFormat]
            extra += options.tokenFile.map { ["--token-file", $0] } ?? []
            workers = try LocalWorkers(count: self.workers, service: service, extraArguments: extra, logger: logger)
        }
        // After a SIGTERM the local workers would wait for a coordinator that is not coming back.
        if case .interrupted = outcome { workers?.terminate() }
        try exitFor(outcome)
    }
}
