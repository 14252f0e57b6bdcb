import ArgumentParser
import Foundation

/// `gradsieve bench ARGS...` runs `gradsieve-bench ARGS...`: the micro-benchmarks are an
/// executable of their own (Sources/gradsieve-bench), built next to `gradsieve` by
/// `swift build`; this command keeps the command line of the README and scripts/bench.sh.
/// It replaces itself with that program (`execv`), so output and exit status are its own.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure the kernels, selection, wire and coordinator; print the figures.",
        discussion: """
        Runs gradsieve-bench, the benchmarks' own executable, built next to gradsieve, with the \
        same arguments; `gradsieve bench --help` is its help.
        Examples:
          gradsieve bench kernels --data pool-f32 --data pool-f16     # fused dot+norm vs a STREAM read
          gradsieve bench selection                                   # top-k, facility location, readIDs
          gradsieve bench wire                                        # frames vs raw TCP on loopback
          gradsieve bench sim-workers --connect 127.0.0.1:7070 --workers 300 --data pool
        """,
        helpNames: []
    )

    @Argument(parsing: .captureForPassthrough, help: "kernels|selection|wire|sim-workers and their options")
    var arguments: [String] = []

    /// The executable's name; it is looked for next to this one.
    static let benchName = "gradsieve-bench"

    func run() throws {
        let ownDirectory = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
        let path = ownDirectory.appendingPathComponent(Self.benchName).path
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw ValidationError("\(path) not found: `swift build` (or `swift build --product \(Self.benchName)`) builds it next to gradsieve")
        }
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        execv(path, argv)
        let reason = String(cString: strerror(errno))
        argv.forEach { free($0) }
        throw ValidationError("cannot run \(path): \(reason)")
    }
}
