import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes files so that readers see either the old contents or the new,
/// never a half-written file: data goes to `path.tmp-<pid>` and rename(2)
/// moves it into place (atomic within one file system). On failure the
/// temporary file is removed and the old file, if any, is untouched.
public enum AtomicFile {
    /// Writes `bytes` to `path` atomically. With `sync`, the data is fsynced
    /// before the rename (slower, survives power loss).
    public static func write(_ bytes: [UInt8], to path: String, sync: Bool = false) throws {
        try bytes.withUnsafeBytes { try write($0, to: path, sync: sync) }
    }

    /// Writes `data` to `path` atomically (see the `[UInt8]` overload).
    public static func write(_ data: Data, to path: String, sync: Bool = false) throws {
        try data.withUnsafeBytes { try write($0, to: path, sync: sync) }
    }

    /// Writes UTF-8 `text` to `path` atomically.
    public static func write(_ text: String, to path: String, sync: Bool = false) throws {
        try write(Array(text.utf8), to: path, sync: sync)
    }

    static func write(_ bytes: UnsafeRawBufferPointer, to path: String, sync: Bool) throws {
        let temporary = temporaryPath(for: path)
        do {
            let output = try BufferedFileOutput(path: temporary)
            try output.write(bytes)
            try output.close(sync: sync)
            try commit(temporary, to: path)
        } catch let error as DataError {
            unlink(temporary)
            throw DataError(file: path, message: "\(error.message) (while writing \(temporary))")
        }
    }

    /// Writes a file produced piece by piece: `produce` gets an `emit` function to call with
    /// each piece, in order. The file appears at `path` whole, or not at all if `produce` or a
    /// write throws. For outputs too large to hold in memory at once.
    public static func write(to path: String, sync: Bool = false,
                             _ produce: (_ emit: (UnsafeRawBufferPointer) throws -> Void) throws -> Void) throws {
        let temporary = temporaryPath(for: path)
        do {
            let output = try BufferedFileOutput(path: temporary)
            try produce { try output.write($0) }
            try output.close(sync: sync)
            try commit(temporary, to: path)
        } catch let error as DataError {
            unlink(temporary)
            throw DataError(file: path, message: "\(error.message) (while writing \(temporary))")
        } catch {
            unlink(temporary)
            throw error
        }
    }

    /// The temporary name used while `path` is being written.
    public static func temporaryPath(for path: String) -> String {
        "\(path).tmp-\(getpid())"
    }

    /// Renames the finished `temporary` file onto `path`.
    public static func commit(_ temporary: String, to path: String) throws {
        guard rename(temporary, path) == 0 else {
            throw DataError(file: path, message: "cannot rename \(temporary) into place: \(String(cString: strerror(errno)))")
        }
    }
}
