import CLibUV
#if canImport(Glibc)
import Glibc
#endif

/// A host and port as users write them: `127.0.0.1:7070`, `[::1]:7070`, `coordinator:7070`.
public struct Endpoint: Equatable, Sendable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `HOST:PORT`; a bracketed host may hold an IPv6 address.
    public init?(parsing text: String) {
        guard let colon = text.lastIndex(of: ":") else { return nil }
        var host = String(text[..<colon])
        guard let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port) else { return nil }
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { return nil }
        self.host = host
        self.port = port
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// True for addresses only this machine can reach.
    public var isLoopback: Bool {
        let octets = host.split(separator: ".", omittingEmptySubsequences: false)
        let numericLoopback = octets.count == 4 && octets.allSatisfy { UInt8($0) != nil } && octets[0] == "127"
        return host == "localhost" || host == "::1" || numericLoopback
    }
}

/// Socket-address storage for libuv calls, resolved from an `Endpoint`.
struct ResolvedAddress {
    var storage = sockaddr_storage()

    /// Numeric addresses are parsed directly; names go through getaddrinfo (blocking, used at
    /// connect time only).
    init(_ endpoint: Endpoint) throws {
        if endpoint.host.contains(":") {
            try withUnsafeMutableBytes(of: &storage) { raw in
                let address = raw.baseAddress!.assumingMemoryBound(to: sockaddr_in6.self)
                try UVError.check(uv_ip6_addr(endpoint.host, Int32(endpoint.port), address), "address \(endpoint)")
            }
            return
        }
        var parsed = sockaddr_in()
        if uv_ip4_addr(endpoint.host, Int32(endpoint.port), &parsed) == 0 {
            withUnsafeMutableBytes(of: &storage) { raw in
                raw.baseAddress!.assumingMemoryBound(to: sockaddr_in.self).pointee = parsed
            }
            return
        }
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(endpoint.host, String(endpoint.port), &hints, &result)
        guard status == 0, let first = result, let address = first.pointee.ai_addr else {
            let text = status == 0 ? "no address" : String(cString: gai_strerror(status))
            throw UVError("resolve \(endpoint.host): \(text)", -1)
        }
        defer { freeaddrinfo(result) }
        withUnsafeMutableBytes(of: &storage) { raw in
            raw.copyMemory(from: UnsafeRawBufferPointer(start: address, count: Int(first.pointee.ai_addrlen)))
        }
    }

    func withSockaddr<R>(_ body: (UnsafePointer<sockaddr>) throws -> R) rethrows -> R {
        try withUnsafeBytes(of: storage) { raw in
            try body(raw.baseAddress!.assumingMemoryBound(to: sockaddr.self))
        }
    }

    /// The C string in `text`, up to its first NUL.
    private static func string(_ text: [CChar]) -> String {
        String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Formats a socket address as `host:port`.
    static func describe(_ address: UnsafePointer<sockaddr>) -> String {
        var text = [CChar](repeating: 0, count: 64)
        if Int32(address.pointee.sa_family) == AF_INET6 {
            let v6 = UnsafeRawPointer(address).assumingMemoryBound(to: sockaddr_in6.self)
            uv_ip6_name(v6, &text, text.count)
            return "[\(Self.string(text))]:\(UInt16(bigEndian: v6.pointee.sin6_port))"
        }
        let v4 = UnsafeRawPointer(address).assumingMemoryBound(to: sockaddr_in.self)
        uv_ip4_name(v4, &text, text.count)
        return "\(Self.string(text)):\(UInt16(bigEndian: v4.pointee.sin_port))"
    }
}
