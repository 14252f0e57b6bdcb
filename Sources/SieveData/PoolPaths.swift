import Foundation

/// Path handling for a pool directory: joining, and listing the
/// `.safetensors` files of a subdirectory in a stable order.
enum PoolPaths {
    /// `directory/name`, without doubling a trailing slash.
    static func join(_ directory: String, _ name: String) -> String {
        directory.hasSuffix("/") ? directory + name : directory + "/" + name
    }

    /// The `.safetensors` file names in `directory`, sorted by their UTF-8
    /// bytes (so the order never depends on locale). A missing directory is
    /// an error when `required`, else gives no files; so does an empty one.
    static func safetensorsNames(in directory: String, required: Bool) throws -> [String] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) else {
            if required { throw DataError(file: directory, message: "missing directory") }
            return []
        }
        guard isDirectory.boolValue else { throw DataError(file: directory, message: "not a directory") }
        let entries: [String]
        do {
            entries = try FileManager.default.contentsOfDirectory(atPath: directory)
        } catch {
            throw DataError(file: directory, message: "cannot list directory: \(error.localizedDescription)")
        }
        let names = entries.filter { $0.hasSuffix(".safetensors") && !$0.hasPrefix(".") }
        if required && names.isEmpty { throw DataError(file: directory, message: "no .safetensors files") }
        return names.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }
}
