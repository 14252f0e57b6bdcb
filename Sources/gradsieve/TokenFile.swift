import ArgumentParser
import Foundation
import SieveCore
import SieveCluster

/// Reads `--token-file`: the whole file is the token (surrounding whitespace ignored).
enum TokenFile {
    static func read(_ path: String?) throws -> ClusterToken? {
        guard let path else { return nil }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CommandFailure("cannot read the token file \(path)")
        }
        guard let token = ClusterToken(secret: [UInt8](data)) else {
            throw CommandFailure("the token file \(path) is empty")
        }
        return token
    }
}
