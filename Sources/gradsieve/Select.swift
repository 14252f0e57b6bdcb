import ArgumentParser
import Foundation
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
        var children: [ChildProcess] = []
        var running = 0
        let outcome = try setup.serve(endpoint: Endpoint(host: "127.0.0.1", port: 0), logger: logger) { service in
            let executable = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
            for index in 0..<workers {
                let arguments = ["worker", "--connect", "127.0.0.1:\(service.port)", "--data", setup.configuration.dataPath,
                                 "--slots", "\(slots)", "--name", "local-\(index + 1)", "--log-level", options.logLevel, "--log-format", options.logFormat]
                    + (options.tokenFile.map { ["--token-file", $0] } ?? [])
                let child = try ChildProcess(loop: service.loop, path: executable, arguments: arguments) { status, signal in
                    running -= 1
                    if status != 0 || signal != 0 {
                        logger.warning("local worker \(index + 1) exited with status \(status), signal \(signal)")
                    }
                    if running == 0 { service.abort("every local worker exited before the run finished") }
                }
                running += 1
                children.append(child)
            }
        }
        if case .interrupted = outcome {
            // The local workers would wait for a coordinator that is not coming back.
            for child in children { kill(child.pid, SIGTERM) }
        }
        try exitFor(outcome)
    }
}
