#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A whole file mapped read-only into memory.
///
/// Pool files can be many gigabytes; mapping lets the kernel page data in on
/// demand and share it between processes, instead of copying it into the
/// heap. The mapping lives exactly as long as this object (`munmap` in
/// `deinit`), so views from `bytes` must not outlive it. An empty file maps
/// to an empty buffer.
///
/// `@unchecked Sendable` (only because of the pointers), and why that holds: every property is
/// a `let` set in `init`; the mapping is `PROT_READ`, so no thread ever writes the memory the
/// pointers reach; and it is unmapped only in `deinit`, when no thread holds the object.
public final class MemoryMappedFile: @unchecked Sendable {
    public let path: String
    /// The file size in bytes at the time it was mapped.
    public let size: Int
    /// A view of the whole file.
    public let bytes: UnsafeRawBufferPointer
    private let base: UnsafeMutableRawPointer?

    /// Maps `path`. Throws a `DataError` naming the file if it cannot be
    /// opened, is not a regular file or cannot be mapped.
    public init(path: String) throws {
        self.path = path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            let code = errno
            let message = code == ENOENT ? "file not found" : "cannot open: \(String(cString: strerror(code)))"
            throw DataError(file: path, message: message)
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw DataError(file: path, message: "cannot stat: \(String(cString: strerror(errno)))")
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw DataError(file: path, message: "not a regular file")
        }
        size = Int(info.st_size)
        if size == 0 {
            base = nil
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            return
        }
        let mapped = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0)
        guard let mapped, mapped != MAP_FAILED else {
            throw DataError(file: path, message: "cannot map: \(String(cString: strerror(errno)))")
        }
        base = mapped
        bytes = UnsafeRawBufferPointer(start: mapped, count: size)
    }

    /// Drops the whole pages inside `bytes` (a view into some read-only mapping) from the
    /// resident set with MADV_DONTNEED. The mapping is read-only, so nothing is lost: a later
    /// access maps the page again from the page cache.
    public static func release(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        let page = UInt(sysconf(Int32(_SC_PAGESIZE)))
        let start = (UInt(bitPattern: base) + page - 1) / page * page
        let end = (UInt(bitPattern: base) + UInt(bytes.count)) / page * page
        guard end > start, let pointer = UnsafeMutableRawPointer(bitPattern: start) else { return }
        _ = madvise(pointer, Int(end - start), MADV_DONTNEED)
    }

    deinit {
        if let base { munmap(base, size) }
    }
}
