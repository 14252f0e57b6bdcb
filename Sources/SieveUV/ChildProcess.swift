import CLibUV
#if canImport(Glibc)
import Glibc
#endif

/// A child process started with uv_spawn. Its stdout and stderr are the parent's; its exit is
/// reported on the loop thread.
public final class ChildProcess: HandleOwner {
    private var box = HandleBox<uv_process_t>()
    private var onExit: ((_ status: Int64, _ signal: Int32) -> Void)?
    public private(set) var pid: Int32 = 0

    /// Starts `path` with `arguments` (not including argv[0]) and the parent's environment.
    public init(loop: EventLoop, path: String, arguments: [String],
                onExit: @escaping (_ status: Int64, _ signal: Int32) -> Void) throws {
        self.onExit = onExit
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var stdio = [uv_stdio_container_t](repeating: uv_stdio_container_t(), count: 3)
        stdio[0].flags = UV_IGNORE
        stdio[1].flags = UV_INHERIT_FD
        stdio[1].data.fd = 1
        stdio[2].flags = UV_INHERIT_FD
        stdio[2].data.fd = 2
        var options = uv_process_options_t()
        options.exit_cb = { process, status, signal in
            HandleBox<uv_process_t>.owner(of: UnsafeMutableRawPointer(process), as: ChildProcess.self)?.exited(status, signal)
        }
        let handle = box.pointer
        let status: Int32 = path.withCString { file in
            argv.withUnsafeBufferPointer { args in
                stdio.withUnsafeMutableBufferPointer { stdio in
                    options.file = file
                    options.args = UnsafeMutablePointer(mutating: args.baseAddress!)
                    options.stdio_count = 3
                    options.stdio = stdio.baseAddress
                    return uv_spawn(loop.raw, handle, &options)
                }
            }
        }
        if status < 0 {
            // uv_spawn initializes the handle even on failure; it must still be closed.
            box.attach(self)
            box.close()
            throw UVError("spawn \(path)", status)
        }
        pid = box.pointer.pointee.pid
        box.attach(self)
    }

    private func exited(_ status: Int64, _ signal: Int32) {
        let callback = onExit
        onExit = nil
        box.close()
        callback?(status, signal)
    }

    /// Sends `signal` to the child; harmless if it already exited.
    public func kill(_ signal: Int32) {
        // Once it exited its handle is closed and freed (its pid may belong to someone else).
        guard !box.closing else { return }
        _ = uv_process_kill(box.pointer, signal)
    }

    func closeForShutdown() {
        onExit = nil
        box.close()
    }

    func handleDidClose() {}
}
