import CLibUV
#if canImport(Glibc)
import Glibc
#endif

/// Runs `work` on libuv's thread pool and `completion` with its result on the loop thread.
///
/// `work` runs on another thread, so it and its result must be `Sendable`; `completion` runs on
/// the loop thread, the caller's, and may touch the caller's loop-thread state.
///
/// The pool has UV_THREADPOOL_SIZE threads (4 unless the environment says otherwise, read once
/// when the pool first starts); `setThreadPoolSize` sets it before that happens.
extension EventLoop {
    public func runInBackground<T: Sendable>(
        _ work: @escaping @Sendable () -> T, completion: @escaping (T) -> Void
    ) {
        let job = BackgroundJob(work: work, completion: completion)
        let request = UnsafeMutablePointer<uv_work_t>.allocate(capacity: 1)
        request.pointee.data = Unmanaged.passRetained(job as QueuedJob).toOpaque()
        let status = uv_queue_work(raw, request, { request in
            let job = Unmanaged<QueuedJob>.fromOpaque(request!.pointee.data).takeUnretainedValue()
            job.runWork()
        }, { request, _ in
            let job = Unmanaged<QueuedJob>.fromOpaque(request!.pointee.data).takeRetainedValue()
            request!.deallocate()
            job.complete()
        })
        if status < 0 {
            Unmanaged<QueuedJob>.fromOpaque(request.pointee.data).release()
            request.deallocate()
            // Queueing only fails for invalid arguments; run inline rather than lose the work.
            completion(work())
        }
    }

    /// Sets libuv's thread-pool size. Only effective before the first `runInBackground`.
    public static func setThreadPoolSize(_ threads: Int) {
        setenv("UV_THREADPOOL_SIZE", String(max(1, min(threads, 1024))), 1)
    }
}

/// One queued job. It reaches the pool thread only as `uv_work_t.data`, an opaque pointer, so
/// the compiler sees no crossing; the rules it keeps:
/// - `runWork` runs once, on a pool thread, and touches only `work` (`@Sendable`) and `result`;
/// - `complete` runs once, on the loop thread, after `runWork` has returned: libuv's thread pool
///   hands the finished request back to the loop under its own mutex and wakes the loop with
///   `uv_async_send`, which orders the pool thread's write of `result` before the loop's read;
/// - `completion` (not `Sendable`) is called only on the loop thread, where it was made.
private class QueuedJob {
    func runWork() { fatalError("overridden") }
    func complete() { fatalError("overridden") }
}

/// (The C callbacks cannot name `T`, so they see the job as a `QueuedJob`.)
private final class BackgroundJob<T: Sendable>: QueuedJob {
    let work: @Sendable () -> T
    let completion: (T) -> Void
    private var result: T?

    init(work: @escaping @Sendable () -> T, completion: @escaping (T) -> Void) {
        self.work = work
        self.completion = completion
    }

    override func runWork() { result = work() }

    override func complete() { completion(result!) }
}
