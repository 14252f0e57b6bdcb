import ArgumentParser
import SieveCore
import SieveCluster
import SieveUV

struct Coordinator: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve a run to workers that connect over TCP, and write the curriculum.",
        discussion: """
        Example:
          gradsieve coordinator --listen 0.0.0.0:7070 --data pool --method gradalign --budget 1000 --expect-workers 4 --out run1
        The epoch starts once --expect-workers workers have joined; later ones take shards too.
        """)

    @OptionGroup var options: RunOptions

    @Option(help: "HOST:PORT to listen on (port 0 picks a free one).")
    var listen: String = "127.0.0.1:7070"

    @Option(help: "Workers that must join before the first epoch starts.")
    var expectWorkers: Int = 1

    func validate() throws {
        guard Endpoint(parsing: listen) != nil else { throw ValidationError("--listen \(listen) is not HOST:PORT") }
        guard expectWorkers > 0 else { throw ValidationError("--expect-workers must be positive") }
    }

    func run() throws {
        let logger = LogSetup.logger("gradsieve.coordinator", level: options.logLevel, format: options.logFormat)
        let setup = try RunSetup(options: options, expectWorkers: expectWorkers)
        let outcome = try setup.serve(endpoint: Endpoint(parsing: listen)!, logger: logger) { _ in }
        try exitFor(outcome)
    }
}
