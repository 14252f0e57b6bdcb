import CLibUV
#if canImport(Glibc)
import Glibc
#endif

/// Runs `work` on libuv's thread pool and `completion` with its result on the loop thread.
///
/// The pool has UV_THREADPOOL_SIZE threads (4 unless the environment says otherwise, read once
/// when the pool first starts); `setThreadPoolSize` sets it before that happens.
extension EventLoop {
    public func runInBackground<T>(_ work: @escaping () -> T, completion: @escaping (T) -> Void) {
        let job = BackgroundJob(work: { work() as Any }, completion: { completion($0 as! T) })
        let request = UnsafeMutablePointer<uv_work_t>.allocate(capacity: 1)
        request.pointee.data = Unmanaged.passRetained(job).toOpaque()
        let status = uv_queue_work(raw, request, { request in
            let job = Unmanaged<BackgroundJob>.fromOpaque(request!.pointee.data).takeUnretainedValue()
            job.result = job.work()
        }, { request, _ in
            let job = Unmanaged<BackgroundJob>.fromOpaque(request!.pointee.data).takeRetainedValue()
            request!.deallocate()
            job.completion(job.result!)
        })
        if status < 0 {
            Unmanaged<BackgroundJob>.fromOpaque(request.pointee.data).release()
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

private final class BackgroundJob {
    let work: () -> Any
    let completion: (Any) -> Void
    var result: Any?

    init(work: @escaping () -> Any, completion: @escaping (Any) -> Void) {
        self.work = work
        self.completion = completion
    }
}
