#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A file opened for writing with a fixed-size buffer in front of write(2).
///
/// Writers append many small pieces (one gradient row, one JSON line); the
/// buffer turns them into large system calls. Errors are `DataError`s naming
/// the file. `close()` flushes; an object dropped without `close()` closes
/// the descriptor without flushing (the caller is abandoning the file).
final class BufferedFileOutput {
    let path: String
    private var fd: Int32
    private var buffer: [UInt8] = []
    private let capacity: Int

    /// Creates or truncates `path` (mode 0644).
    init(path: String, capacity: Int = 1 << 20) throws {
        self.path = path
        self.capacity = capacity
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw DataError(file: path, message: "cannot create: \(String(cString: strerror(errno)))") }
        buffer.reserveCapacity(capacity)
    }

    deinit {
        if fd >= 0 { _ = posixClose(fd) }
    }

    /// Appends `bytes`, writing through when the buffer would overflow.
    func write(_ bytes: UnsafeRawBufferPointer) throws {
        if buffer.count + bytes.count > capacity { try flush() }
        if bytes.count >= capacity {
            try writeAll(bytes)
        } else {
            buffer.append(contentsOf: bytes)
        }
    }

    func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }

    func write(_ text: String) throws {
        var text = text
        try text.withUTF8 { try write(UnsafeRawBufferPointer($0)) }
    }

    /// Writes out the buffer.
    func flush() throws {
        guard !buffer.isEmpty else { return }
        try buffer.withUnsafeBytes { try writeAll($0) }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Flushes, optionally fsyncs, and closes the descriptor.
    func close(sync: Bool = false) throws {
        try flush()
        if sync && fsync(fd) != 0 {
            throw DataError(file: path, message: "cannot sync: \(String(cString: strerror(errno)))")
        }
        let result = posixClose(fd)
        fd = -1
        if result != 0 { throw DataError(file: path, message: "cannot close: \(String(cString: strerror(errno)))") }
    }

    private func writeAll(_ bytes: UnsafeRawBufferPointer) throws {
        var done = 0
        while done < bytes.count {
            let n = posixWrite(fd, bytes.baseAddress! + done, bytes.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                throw DataError(file: path, message: "cannot write: \(String(cString: strerror(errno)))")
            }
            done += n
        }
    }
}

// File-scope wrappers: inside the class, `close` and `write` name methods.
private func posixClose(_ fd: Int32) -> Int32 { close(fd) }
private func posixWrite(_ fd: Int32, _ pointer: UnsafeRawPointer, _ count: Int) -> Int { write(fd, pointer, count) }
