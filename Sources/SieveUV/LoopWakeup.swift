import CLibUV
#if canImport(Glibc)
import Glibc
#endif

/// Brings closures from any thread onto the loop thread (uv_async_send is the one libuv call
/// that is safe from other threads). Several posts may coalesce into one wake-up; every posted
/// closure still runs, in posting order.
public final class LoopWakeup: HandleOwner, @unchecked Sendable {
    private var box = HandleBox<uv_async_t>()
    private var mutex = pthread_mutex_t()
    private var pending: [() -> Void] = []

    public init(loop: EventLoop) throws {
        pthread_mutex_init(&mutex, nil)
        let status = uv_async_init(loop.raw, box.pointer) { async in
            HandleBox<uv_async_t>.owner(of: UnsafeMutableRawPointer(async), as: LoopWakeup.self)?.drain()
        }
        if status < 0 {
            box.discardUninitialized()
            throw UVError("uv_async_init", status)
        }
        box.attach(self)
    }

    /// Thread-safe: queues `work` to run on the loop thread.
    public func post(_ work: @escaping () -> Void) {
        pthread_mutex_lock(&mutex)
        pending.append(work)
        pthread_mutex_unlock(&mutex)
        uv_async_send(box.pointer)
    }

    private func drain() {
        pthread_mutex_lock(&mutex)
        let batch = pending
        pending.removeAll()
        pthread_mutex_unlock(&mutex)
        for work in batch { work() }
    }

    /// Lets the loop exit once nothing else keeps it alive.
    public func close() {
        box.close()
    }

    func closeForShutdown() { close() }

    func handleDidClose() {}

    deinit {
        pthread_mutex_destroy(&mutex)
    }
}
