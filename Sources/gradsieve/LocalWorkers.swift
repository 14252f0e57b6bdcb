import Foundation
import Logging
import SieveCore
import SieveCluster
import SieveUV

/// The worker processes `select` and `demo` start beside their coordinator: this same binary
/// with `worker --connect 127.0.0.1:PORT`, watched on the coordinator's loop. If every one of
/// them exits before the run is over, the run fails instead of waiting forever.
final class LocalWorkers {
    private(set) var children: [ChildProcess] = []
    private var running = 0

    init(count: Int, service: CoordinatorService, extraArguments: [String], logger: Logger) throws {
        let executable = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        for index in 0..<count {
            let arguments = ["worker", "--connect", "127.0.0.1:\(service.port)", "--name", "local-\(index + 1)"] + extraArguments
            children.append(try ChildProcess(loop: service.loop, path: executable, arguments: arguments) { [unowned self] status, signal in
                self.running -= 1
                if status != 0 || signal != 0 {
                    logger.warning("local worker \(index + 1) exited with status \(status), signal \(signal)")
                }
                if self.running == 0 { service.abort("every local worker exited before the run finished") }
            })
            running += 1
        }
    }

    /// Asks the workers still running to leave (after an interrupted run).
    func terminate() {
        for child in children { kill(child.pid, SIGTERM) }
    }
}
