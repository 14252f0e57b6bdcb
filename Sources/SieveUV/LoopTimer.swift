import CLibUV

/// A libuv timer. Callbacks run on the loop thread.
public final class LoopTimer: HandleOwner {
    private var box = HandleBox<uv_timer_t>()
    private var callback: (() -> Void)?

    public init(loop: EventLoop) throws {
        let status = uv_timer_init(loop.raw, box.pointer)
        if status < 0 {
            box.discardUninitialized()
            throw UVError("uv_timer_init", status)
        }
        box.attach(self)
    }

    /// Fires after `timeoutMillis`, then every `repeatMillis` if that is non-zero.
    public func start(timeoutMillis: UInt64, repeatMillis: UInt64 = 0, _ callback: @escaping () -> Void) {
        self.callback = callback
        uv_timer_start(box.pointer, { timer in
            HandleBox<uv_timer_t>.owner(of: UnsafeMutableRawPointer(timer), as: LoopTimer.self)?.callback?()
        }, timeoutMillis, repeatMillis)
    }

    /// Lets the loop end while this timer is still pending (libuv's `uv_unref`): a time-out
    /// that must not itself keep the loop running.
    public func unreference() {
        uv_unref(box.handle)
    }

    public func stop() {
        uv_timer_stop(box.pointer)
    }

    public func close() {
        callback = nil
        box.close()
    }

    func closeForShutdown() { close() }

    func handleDidClose() {}
}
