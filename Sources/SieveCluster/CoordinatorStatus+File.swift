import SieveCore
import SieveData

extension CoordinatorStatus {
    /// Writes the Prometheus text under a temporary name and renames it into place.
    public func write(to path: String) throws {
        try AtomicFile.write(prometheusText, to: path)
    }
}
