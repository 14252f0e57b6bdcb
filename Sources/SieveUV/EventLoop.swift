import CLibUV

/// One libuv loop. Every handle made from it must be used on the thread that calls `run()`;
/// the only exception is `LoopWakeup.post`, which any thread may call.
public final class EventLoop {
    let raw: UnsafeMutablePointer<uv_loop_t>
    private var isShutDown = false

    public init() throws {
        raw = UnsafeMutablePointer<uv_loop_t>.allocate(capacity: 1)
        let status = uv_loop_init(raw)
        if status < 0 {
            raw.deallocate()
            throw UVError("uv_loop_init", status)
        }
    }

    /// Runs until no active handles remain or `stop()` is called.
    public func run() {
        uv_run(raw, UV_RUN_DEFAULT)
    }

    /// Makes `run()` return after the current iteration.
    public func stop() {
        uv_stop(raw)
    }

    /// Milliseconds of libuv's cached loop clock (monotonic), the time the state machines see.
    public var nowMillis: UInt64 { uv_now(raw) }

    /// Closes every handle still open, runs their close callbacks, then closes the loop, so
    /// nothing is freed while libuv still points at it. Requests still in flight (a connect, a
    /// write, a closeAfterFlush) finish with ECANCELED. A second call does nothing.
    public func shutdown() {
        guard !isShutDown else { return }
        isShutDown = true
        uv_walk(raw, { handle, _ in
            guard let handle, uv_is_closing(handle) == 0 else { return }
            // Through the owner, so it knows its handle is closing: the cancelled requests'
            // callbacks and any later call on the owner must not close the handle again.
            if let data = handle.pointee.data,
               let owner = Unmanaged<AnyObject>.fromOpaque(data).takeUnretainedValue() as? HandleOwner {
                owner.closeForShutdown()
            } else {
                uv_close(handle, handleClosed)
            }
        }, nil)
        uv_run(raw, UV_RUN_DEFAULT)
        _ = uv_loop_close(raw)
    }

    deinit {
        raw.deallocate()
    }
}

/// The single close callback of every handle in this module: it releases the Swift owner that
/// `HandleBox` retained when the handle opened, then frees the handle's memory. libuv promises
/// not to touch the handle after this callback, so this is the only safe place to free it.
func handleClosed(_ handle: UnsafeMutablePointer<uv_handle_t>?) {
    guard let handle else { return }
    if let data = handle.pointee.data {
        let owner = Unmanaged<AnyObject>.fromOpaque(data).takeRetainedValue()
        (owner as? HandleOwner)?.handleDidClose()
    }
    handle.deallocate()
}

/// A Swift object that owns exactly one libuv handle.
protocol HandleOwner: AnyObject {
    /// Starts closing the handle through its `HandleBox`, dropping the owner's callbacks
    /// without running them (`EventLoop.shutdown`).
    func closeForShutdown()
    func handleDidClose()
}
