import CLibUV

/// Watches a directory with libuv's file-system events (inotify on Linux). Callbacks run on the
/// loop thread with the name that changed; events can coalesce, so callers re-scan rather than
/// trust a single name.
public final class FileWatcher: HandleOwner {
    private var box = HandleBox<uv_fs_event_t>()
    private var callback: ((String?) -> Void)?

    public init(loop: EventLoop) throws {
        let status = uv_fs_event_init(loop.raw, box.pointer)
        if status < 0 {
            box.discardUninitialized()
            throw UVError("uv_fs_event_init", status)
        }
        box.attach(self)
    }

    public func start(path: String, _ callback: @escaping (String?) -> Void) throws {
        self.callback = callback
        try UVError.check(uv_fs_event_start(box.pointer, { handle, name, _, _ in
            HandleBox<uv_fs_event_t>.owner(of: UnsafeMutableRawPointer(handle), as: FileWatcher.self)?
                .callback?(name.map { String(cString: $0) })
        }, path, 0), "watch \(path)")
    }

    public func close() {
        callback = nil
        box.close()
    }

    func closeForShutdown() { close() }

    func handleDidClose() {}
}
