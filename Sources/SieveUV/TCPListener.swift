import CLibUV
#if canImport(Glibc)
import Glibc
#endif

/// A listening TCP socket. Each accepted peer arrives as a `TCPConnection` through the
/// callback given to `listen`.
public final class TCPListener: HandleOwner {
    private var box = HandleBox<uv_tcp_t>()
    private let loop: EventLoop
    private var onConnection: ((TCPConnection) -> Void)?
    /// Called when accepting fails (the listener stays open).
    public var onError: ((UVError) -> Void)?

    /// Binds to `endpoint` (port 0 picks a free port; see `localPort`). Throws if the port is
    /// taken, so `localPort` is the real port as soon as this returns.
    public init(loop: EventLoop, endpoint: Endpoint) throws {
        self.loop = loop
        let status = uv_tcp_init(loop.raw, box.pointer)
        if status < 0 {
            box.discardUninitialized()
            throw UVError("uv_tcp_init", status)
        }
        box.attach(self)
        do {
            let address = try ResolvedAddress(endpoint)
            try address.withSockaddr { try UVError.check(uv_tcp_bind(box.pointer, $0, 0), "bind \(endpoint)") }
            // uv_tcp_bind keeps bind(2)'s EADDRINUSE to itself until uv_listen and returns 0;
            // the socket is then not bound, and its port reads as 0.
            if endpoint.port != 0 && localPort != endpoint.port {
                throw UVError("bind \(endpoint)", UV_EADDRINUSE.rawValue)
            }
        } catch {
            box.close()
            throw error
        }
    }

    public func listen(backlog: Int32 = 511, _ onConnection: @escaping (TCPConnection) -> Void) throws {
        self.onConnection = onConnection
        try UVError.check(uv_listen(box.stream, backlog) { server, status in
            HandleBox<uv_tcp_t>.owner(of: UnsafeMutableRawPointer(server), as: TCPListener.self)?.accept(status)
        }, "listen")
    }

    private func accept(_ status: Int32) {
        guard status >= 0 else {
            onError?(UVError("accept", status))
            return
        }
        do {
            let connection = try TCPConnection(loop: loop)
            let accepted = uv_accept(box.stream, connection.stream)
            if accepted < 0 {
                connection.closeSilently()
                onError?(UVError("accept", accepted))
                return
            }
            connection.didAccept()
            onConnection?(connection)
        } catch {
            onError?(error as? UVError ?? UVError("accept", -1))
        }
    }

    /// The port actually bound, which differs from the requested one when that was 0.
    public var localPort: Int {
        var address = sockaddr_storage()
        var length = Int32(MemoryLayout<sockaddr_storage>.size)
        return withUnsafeMutableBytes(of: &address) { raw -> Int in
            let pointer = raw.baseAddress!.assumingMemoryBound(to: sockaddr.self)
            guard uv_tcp_getsockname(box.pointer, pointer, &length) == 0 else { return 0 }
            let text = ResolvedAddress.describe(pointer)
            return Int(text.split(separator: ":").last ?? "0") ?? 0
        }
    }

    public func close() {
        onConnection = nil
        box.close()
    }

    func closeForShutdown() { close() }

    func handleDidClose() {}
}
