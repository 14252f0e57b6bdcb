import CLibUV
#if canImport(Glibc)
import Glibc
#endif

/// One TCP stream on the loop. Bytes arrive through `onRead` as they come (not framed: the
/// caller reassembles frames); `onClose` runs exactly once, with the error if the stream failed
/// and nil for a clean end or a local close.
public final class TCPConnection: HandleOwner {
    public static let readBufferSize = 256 * 1024

    private var box = HandleBox<uv_tcp_t>()
    private let loop: EventLoop
    private let readBuffer: UnsafeMutableRawPointer
    private var closeReported = false
    private var flushing = false
    private var lingerTimer: LoopTimer?

    /// Called on the loop thread with bytes valid only during the call.
    public var onRead: ((UnsafeRawBufferPointer) -> Void)?
    /// Where the next read should go instead of the connection's own buffer, asked just before
    /// each read (for example a `FrameDecoder`'s `spaceForNextRead()`, so that a large frame
    /// arrives in the decoder's buffer without a copy). `onRead` then gets bytes lying there.
    /// An empty buffer, or no closure, means the connection's own buffer.
    public var readSpace: (() -> UnsafeMutableRawBufferPointer)?
    /// Where the read in progress goes (set by libuv's allocation callback).
    private var readTarget: UnsafeMutableRawPointer?
    public var onClose: ((UVError?) -> Void)?
    /// The peer as `host:port`, for log lines and error messages.
    public private(set) var peer = "unknown peer"
    /// Bytes handed to `write` that the kernel has not yet taken.
    public private(set) var queuedBytes = 0
    /// Called on the loop thread when bytes queued by `write` have all gone to the kernel (not
    /// after a write the kernel took at once), so a sender can keep a bounded amount queued.
    public var onDrain: (() -> Void)?
    /// How long `closeAfterFlush`, once our side is sent, waits for the peer to end its side.
    public var lingerMillis: UInt64 = 2000

    init(loop: EventLoop) throws {
        self.loop = loop
        readBuffer = UnsafeMutableRawPointer.allocate(byteCount: Self.readBufferSize, alignment: 16)
        let status = uv_tcp_init(loop.raw, box.pointer)
        if status < 0 {
            // Every stored property is set, so deinit runs after this throw and frees readBuffer.
            box.discardUninitialized()
            throw UVError("uv_tcp_init", status)
        }
        box.attach(self)
    }

    var stream: UnsafeMutablePointer<uv_stream_t> { box.stream }

    /// Connects to `endpoint`; `completion` gets the open connection or the error.
    public static func connect(loop: EventLoop, to endpoint: Endpoint,
                               completion: @escaping (Result<TCPConnection, UVError>) -> Void) {
        let connection: TCPConnection
        let address: ResolvedAddress
        do {
            // Resolve first: a connection made before a failing resolve would stay open.
            address = try ResolvedAddress(endpoint)
            connection = try TCPConnection(loop: loop)
        } catch {
            completion(.failure(error as? UVError ?? UVError("connect \(endpoint)", -1)))
            return
        }
        connection.peer = endpoint.description
        let request = UnsafeMutablePointer<uv_connect_t>.allocate(capacity: 1)
        let pending = PendingConnect(connection: connection, completion: completion)
        request.pointee.data = Unmanaged.passRetained(pending).toOpaque()
        let status = address.withSockaddr { uv_tcp_connect(request, connection.box.pointer, $0) { request, status in
            let pending = Unmanaged<PendingConnect>.fromOpaque(request!.pointee.data).takeRetainedValue()
            request!.deallocate()
            pending.finish(status)
        } }
        if status < 0 {
            Unmanaged<PendingConnect>.fromOpaque(request.pointee.data).release()
            request.deallocate()
            connection.closeSilently()
            completion(.failure(UVError("connect \(endpoint)", status)))
        }
    }

    func didAccept() {
        var address = sockaddr_storage()
        var length = Int32(MemoryLayout<sockaddr_storage>.size)
        withUnsafeMutableBytes(of: &address) { raw in
            let pointer = raw.baseAddress!.assumingMemoryBound(to: sockaddr.self)
            if uv_tcp_getpeername(box.pointer, pointer, &length) == 0 {
                peer = ResolvedAddress.describe(pointer)
            }
        }
        uv_tcp_nodelay(box.pointer, 1)
    }

    /// Starts delivering bytes to `onRead`. One reusable buffer serves every read.
    public func startReading() {
        let status = beginReading()
        if status < 0 { fail(UVError("read from \(peer)", status)) }
    }

    private func beginReading() -> Int32 {
        uv_read_start(stream, { handle, _, buffer in
            guard let owner = HandleBox<uv_tcp_t>.owner(of: UnsafeMutableRawPointer(handle), as: TCPConnection.self) else { return }
            buffer!.pointee = owner.nextReadBuffer()
        }, { stream, count, _ in
            guard let owner = HandleBox<uv_tcp_t>.owner(of: UnsafeMutableRawPointer(stream), as: TCPConnection.self) else { return }
            owner.didRead(count)
        })
    }

    /// Stops reading (back-pressure); `startReading` resumes.
    public func stopReading() {
        uv_read_stop(stream)
    }

    private func nextReadBuffer() -> uv_buf_t {
        if let space = readSpace?(), let base = space.baseAddress, space.count > 0 {
            readTarget = base
            // At most what the own buffer takes: the same reads either way, one bounded read per callback.
            return uv_buf_init(base.assumingMemoryBound(to: CChar.self), UInt32(min(space.count, TCPConnection.readBufferSize)))
        }
        readTarget = readBuffer
        return uv_buf_init(readBuffer.assumingMemoryBound(to: CChar.self), UInt32(TCPConnection.readBufferSize))
    }

    private func didRead(_ count: Int) {
        if count > 0 {
            onRead?(UnsafeRawBufferPointer(start: readTarget ?? readBuffer, count: count))
        } else if count < 0 {
            let error = UVError("read from \(peer)", Int32(count))
            if error.isEndOfStream { close() } else { fail(error) }
        }
        // count == 0 means "nothing this time" (EAGAIN), not end of stream.
    }

    /// Sends `bytes`. What the kernel does not take at once is copied into memory the write
    /// owns until libuv's write callback (the array's own memory may be used only during a
    /// `withUnsafeBytes` call, and libuv writes the queued rest later). Writes on one connection
    /// go out in call order; writes after `closeAfterFlush` are dropped.
    public func write(_ bytes: [UInt8]) {
        guard !box.closing, !flushing, !bytes.isEmpty else { return }
        precondition(bytes.count <= Int(UInt32.max), "one write holds at most 4 GiB")
        bytes.withUnsafeBytes { raw in
            // One buffer: its uv_buf_t on the stack, no array of them (the coordinator sends
            // most frames this way, one small write each).
            var sent = 0
            if queuedBytes == 0 {
                var buffer = uv_buf_init(UnsafeMutablePointer(mutating: raw.baseAddress!.assumingMemoryBound(to: CChar.self)), UInt32(raw.count))
                let written = uv_try_write(stream, &buffer, 1)
                if written > 0 { sent = Int(written) }
                if sent == raw.count { return }
            }
            queue(CollectionOfOne(raw), skipping: sent, total: raw.count)
        }
    }

    /// Sends the buffers one after the other, as one vectored write (`uv_try_write` with one
    /// `uv_buf_t` per buffer, pointing at each array's own memory while it is lent): none of
    /// them is copied into a frame first. What the kernel does not take at once is copied, as
    /// for `write(_:)` of bytes. Order and dropping as for `write(_:)` of bytes.
    public func write(_ buffers: [WriteBuffer]) {
        guard !box.closing, !flushing else { return }
        let total = buffers.reduce(0) { $0 + $1.count }
        guard total > 0 else { return }
        WriteBuffer.withBytes(of: buffers[...], collected: []) { send($0, total: total) }
    }

    /// Tries the kernel first (only when nothing is queued, to keep the order), then queues
    /// what is left. `buffers` are valid only during this call.
    private func send(_ buffers: [UnsafeRawBufferPointer], total: Int) {
        var sent = 0
        if queuedBytes == 0 {
            var uvBuffers: [uv_buf_t] = []
            uvBuffers.reserveCapacity(buffers.count)
            for buffer in buffers where buffer.count > 0 {
                precondition(buffer.count <= Int(UInt32.max), "one buffer of a write holds at most 4 GiB")
                // uv_buf_t's base is `char *`; uv_try_write only reads it.
                uvBuffers.append(uv_buf_init(
                    UnsafeMutablePointer(mutating: buffer.baseAddress!.assumingMemoryBound(to: CChar.self)),
                    UInt32(buffer.count)))
            }
            let written = uv_try_write(stream, uvBuffers, UInt32(uvBuffers.count))
            if written > 0 { sent = Int(written) }
            if sent == total { return }
        }
        queue(buffers, skipping: sent, total: total)
    }

    /// Queues a copy of the buffers' bytes after the first `sent`, in an allocation the write
    /// owns and frees after libuv's write callback.
    private func queue<Buffers: Collection<UnsafeRawBufferPointer>>(_ buffers: Buffers, skipping sent: Int, total: Int) {
        let remaining = total - sent
        precondition(remaining <= Int(UInt32.max), "one write holds at most 4 GiB")
        let pending = PendingWrite(count: remaining)
        // Skip what the kernel took, then copy the rest, buffer after buffer.
        var skip = sent
        var at = 0
        for buffer in buffers {
            if skip >= buffer.count {
                skip -= buffer.count
                continue
            }
            let part = UnsafeRawBufferPointer(rebasing: buffer[skip...])
            (pending.memory + at).copyMemory(from: part.baseAddress!, byteCount: part.count)
            at += part.count
            skip = 0
        }
        let request = UnsafeMutablePointer<uv_write_t>.allocate(capacity: 1)
        request.pointee.data = Unmanaged.passRetained(pending).toOpaque()
        queuedBytes += remaining
        // libuv copies the uv_buf_t itself; the memory it points at is the pending write's.
        var queued = uv_buf_init(pending.memory.assumingMemoryBound(to: CChar.self), UInt32(remaining))
        let status = uv_write(request, stream, &queued, 1) { request, status in
            let request = request!
            let pending = Unmanaged<PendingWrite>.fromOpaque(request.pointee.data).takeRetainedValue()
            let handle = UnsafeMutableRawPointer(request.pointee.handle)
            request.deallocate()
            HandleBox<uv_tcp_t>.owner(of: handle, as: TCPConnection.self)?.didWrite(status, count: pending.count)
        }
        if status < 0 {
            Unmanaged<PendingWrite>.fromOpaque(request.pointee.data).release()
            request.deallocate()
            queuedBytes -= remaining
            fail(UVError("write to \(peer)", status))
        }
    }

    private func didWrite(_ status: Int32, count: Int) {
        queuedBytes -= count
        if status < 0 && status != UV_ECANCELED.rawValue { return fail(UVError("write to \(peer)", status)) }
        if queuedBytes == 0 && status >= 0 { onDrain?() }
    }

    /// Sends what is queued, ends our side of the stream, then closes once the peer has ended
    /// its side too, or `lingerMillis` after that: the way to deliver a last error frame. Bytes
    /// the peer sends meanwhile are read and dropped; `onClose` runs at the close.
    public func closeAfterFlush() {
        guard !box.closing, !flushing else { return }
        flushing = true
        let request = UnsafeMutablePointer<uv_shutdown_t>.allocate(capacity: 1)
        let status = uv_shutdown(request, stream) { request, status in
            let handle = UnsafeMutableRawPointer(request!.pointee.handle)
            request!.deallocate()
            HandleBox<uv_tcp_t>.owner(of: handle, as: TCPConnection.self)?.didFlush(status)
        }
        if status < 0 {
            request.deallocate()
            close()
        }
    }

    /// Everything is sent and our end of stream is out. Closing now, with bytes from the peer
    /// unread or still coming, would make the kernel reset the connection and drop what the
    /// peer has not read yet; so wait for its end of stream, which `didRead` turns into close().
    private func didFlush(_ status: Int32) {
        guard status >= 0, !box.closing else { return close() }
        onRead = nil
        readSpace = nil
        let reading = beginReading()
        guard reading >= 0 || reading == UV_EALREADY.rawValue, let timer = try? LoopTimer(loop: loop) else { return close() }
        lingerTimer = timer
        timer.start(timeoutMillis: lingerMillis) { [weak self] in self?.close() }
    }

    /// Closes now; queued writes are cancelled.
    public func close() {
        finish(nil)
    }

    private func fail(_ error: UVError) {
        finish(error)
    }

    private func finish(_ error: UVError?) {
        guard !box.closing else { return }
        closeBox()
        reportClose(error)
    }

    private func closeBox() {
        lingerTimer?.close()
        lingerTimer = nil
        box.close()
    }

    private func reportClose(_ error: UVError?) {
        guard !closeReported else { return }
        closeReported = true
        let callback = onClose
        onClose = nil
        onRead = nil
        readSpace = nil
        onDrain = nil
        callback?(error)
    }

    func closeSilently() {
        closeReported = true
        closeBox()
    }

    func closeForShutdown() {
        onRead = nil
        readSpace = nil
        onClose = nil
        closeSilently()
    }

    func handleDidClose() {}

    deinit {
        readBuffer.deallocate()
    }

    fileprivate func setPeer(_ text: String) { peer = text }
    fileprivate func enableNoDelay() { uv_tcp_nodelay(box.pointer, 1) }
}

/// One buffer of a vectored `TCPConnection.write(_:)`: an array of plain values (bytes,
/// `Double`s, `UInt64`s...) whose memory is sent as it lies. The array is held (arrays are
/// values, so later changes to the caller's copy do not reach it) and its memory is lent, with
/// `withUnsafeBytes`, only for the duration of the write call.
public struct WriteBuffer: Sendable {
    /// Calls its argument with the array's bytes.
    private let lend: @Sendable ((UnsafeRawBufferPointer) -> Void) -> Void
    /// Bytes in the buffer.
    public let count: Int

    public init<Element: BitwiseCopyable & Sendable>(_ array: [Element]) {
        count = array.count * MemoryLayout<Element>.stride
        lend = { body in array.withUnsafeBytes(body) }
    }

    /// Calls `body` with the bytes of every buffer, in order, all valid during the call: each
    /// array's `withUnsafeBytes` call encloses the next one's.
    static func withBytes(
        of buffers: ArraySlice<WriteBuffer>, collected: [UnsafeRawBufferPointer],
        _ body: ([UnsafeRawBufferPointer]) -> Void
    ) {
        guard let first = buffers.first else { return body(collected) }
        first.lend { bytes in
            withBytes(of: buffers.dropFirst(), collected: collected + [bytes], body)
        }
    }
}

/// A write that libuv holds: how many bytes it counts in `queuedBytes`, and the memory they
/// lie in, allocated for it and freed with it, after the write callback.
private final class PendingWrite {
    let count: Int
    let memory: UnsafeMutableRawPointer

    init(count: Int) {
        self.count = count
        memory = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1), alignment: 16)
    }

    deinit { memory.deallocate() }
}

private final class PendingConnect {
    let connection: TCPConnection
    let completion: (Result<TCPConnection, UVError>) -> Void

    init(connection: TCPConnection, completion: @escaping (Result<TCPConnection, UVError>) -> Void) {
        self.connection = connection
        self.completion = completion
    }

    func finish(_ status: Int32) {
        if status < 0 {
            let error = UVError("connect \(connection.peer)", status)
            connection.closeSilently()
            completion(.failure(error))
        } else {
            connection.enableNoDelay()
            completion(.success(connection))
        }
    }
}
