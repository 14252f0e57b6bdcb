import CLibUV
import Synchronization

/// Brings closures from any thread onto the loop thread (uv_async_send is the one libuv call
/// that is safe from other threads). Several posts may coalesce into one wake-up; every posted
/// closure still runs, in posting order.
///
/// `@unchecked Sendable`, and why that holds: what other threads touch is `pending` (a `Mutex`,
/// itself `Sendable`, holding `@Sendable` closures) and `handle` (a `let` pointer to libuv's
/// handle, passed only to `uv_async_send`, which libuv documents as thread-safe). `box` (whose
/// `closing` flag `close` sets) is used only on the loop thread: `init`, `close`, and the
/// drain callback.
public final class LoopWakeup: HandleOwner, @unchecked Sendable {
    private var box = HandleBox<uv_async_t>()
    private let handle: UnsafeMutablePointer<uv_async_t>
    private let pending = Mutex<[@Sendable () -> Void]>([])

    public init(loop: EventLoop) throws {
        handle = box.pointer
        let status = uv_async_init(loop.raw, box.pointer) { async in
            HandleBox<uv_async_t>.owner(of: UnsafeMutableRawPointer(async), as: LoopWakeup.self)?.drain()
        }
        if status < 0 {
            box.discardUninitialized()
            throw UVError("uv_async_init", status)
        }
        box.attach(self)
    }

    /// Thread-safe: queues `work` to run on the loop thread. Must not be called once the loop
    /// has run the close callback of this wake-up (after `close()` or `EventLoop.shutdown()`).
    public func post(_ work: @escaping @Sendable () -> Void) {
        pending.withLock { $0.append(work) }
        uv_async_send(handle)
    }

    private func drain() {
        let batch = pending.withLock { pending in
            let batch = pending
            pending.removeAll()
            return batch
        }
        for work in batch { work() }
    }

    /// Lets the loop exit once nothing else keeps it alive.
    public func close() {
        box.close()
    }

    func closeForShutdown() { close() }

    func handleDidClose() {}
}
