import CLibUV

/// Heap storage for one libuv handle of type `T`, tied to a Swift owner.
///
/// The owner is retained through `handle.data` from `open` until libuv's close callback, so
/// callbacks can always find a live owner, and the handle memory outlives every callback.
struct HandleBox<T> {
    let pointer: UnsafeMutablePointer<T>
    private(set) var closing = false

    init() {
        pointer = UnsafeMutablePointer<T>.allocate(capacity: 1)
    }

    var handle: UnsafeMutablePointer<uv_handle_t> {
        UnsafeMutableRawPointer(pointer).assumingMemoryBound(to: uv_handle_t.self)
    }

    var stream: UnsafeMutablePointer<uv_stream_t> {
        UnsafeMutableRawPointer(pointer).assumingMemoryBound(to: uv_stream_t.self)
    }

    /// Call right after the successful `uv_*_init`.
    func attach(_ owner: AnyObject) {
        handle.pointee.data = Unmanaged.passRetained(owner).toOpaque()
    }

    /// Starts closing; the owner is released and the memory freed in the close callback.
    mutating func close() {
        guard !closing else { return }
        closing = true
        uv_close(handle, handleClosed)
    }

    /// For a handle whose init failed: nothing was attached, so free it now.
    func discardUninitialized() {
        pointer.deallocate()
    }

    static func owner<O: AnyObject>(of handle: UnsafeMutableRawPointer?, as type: O.Type) -> O? {
        guard let handle else { return nil }
        let base = handle.assumingMemoryBound(to: uv_handle_t.self)
        guard let data = base.pointee.data else { return nil }
        return Unmanaged<AnyObject>.fromOpaque(data).takeUnretainedValue() as? O
    }
}
