import CLibUV

/// Delivers a Unix signal (SIGTERM, SIGINT) to the loop thread as an ordinary callback.
public final class SignalWatcher: HandleOwner {
    private var box = HandleBox<uv_signal_t>()
    private var callback: ((Int32) -> Void)?

    public init(loop: EventLoop) throws {
        let status = uv_signal_init(loop.raw, box.pointer)
        if status < 0 {
            box.discardUninitialized()
            throw UVError("uv_signal_init", status)
        }
        box.attach(self)
    }

    public func start(signal: Int32, _ callback: @escaping (Int32) -> Void) throws {
        self.callback = callback
        try UVError.check(uv_signal_start(box.pointer, { handle, signal in
            HandleBox<uv_signal_t>.owner(of: UnsafeMutableRawPointer(handle), as: SignalWatcher.self)?.callback?(signal)
        }, signal), "uv_signal_start")
    }

    /// Keeps watching without keeping the loop alive on its own.
    public func unreference() {
        uv_unref(box.handle)
    }

    public func close() {
        callback = nil
        box.close()
    }

    func closeForShutdown() { close() }

    func handleDidClose() {}
}
