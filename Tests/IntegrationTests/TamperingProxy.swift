import Foundation
import Synchronization

/// A TCP proxy for tests that forwards each connection to a target port and can flip one bit of
/// one record on its way. It cuts each direction into records by their 4-byte big-endian length
/// prefix, which plain and sealed frames share (docs/protocol.md sections 3 and 8), counting
/// them from 0 per connection and direction (the handshake's plain frames included).
///
/// `@unchecked Sendable`, and why that holds: the configuration is immutable; what the pump
/// threads record (the bytes seen, whether the flip happened) is behind `state`'s mutex.
final class TamperingProxy: @unchecked Sendable {
    enum Direction: Sendable { case toCoordinator, toWorker }

    struct State {
        var seen: [Direction: [UInt8]] = [.toCoordinator: [], .toWorker: []]
        var flipped: String?
    }

    let port: Int
    private let listener: Int32
    private let target: Int
    private let direction: Direction
    /// Whether to flip the record with this index and length field (only the first such record
    /// of the proxy's life is flipped).
    private let shouldFlip: @Sendable (_ index: Int, _ length: Int) -> Bool
    let state = Mutex(State())

    init(target: Int, flipping direction: Direction, when shouldFlip: @escaping @Sendable (Int, Int) -> Bool) throws {
        self.target = target
        self.direction = direction
        self.shouldFlip = shouldFlip
        listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let fd = listener
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        guard bound == 0, listen(fd, 8) == 0 else {
            throw NSError(domain: "TamperingProxy", code: 1, userInfo: [NSLocalizedDescriptionKey: "cannot listen"])
        }
        port = Int(UInt16(bigEndian: address.sin_port))
        Thread.detachNewThread { [self] in acceptLoop() }
    }

    /// A description of the record flipped, if one was.
    var flipped: String? { state.withLock { $0.flipped } }

    /// The bytes that went through in `direction` (all connections, in order of arrival).
    func seen(_ direction: Direction) -> [UInt8] { state.withLock { $0.seen[direction]! } }

    private func acceptLoop() {
        while true {
            let client = accept(listener, nil, nil)
            guard client >= 0 else { return }
            let upstream = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            address.sin_port = UInt16(target).bigEndian
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(upstream, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard connected == 0 else {
                close(client)
                close(upstream)
                continue
            }
            Thread.detachNewThread { [self] in pump(from: client, to: upstream, .toCoordinator) }
            Thread.detachNewThread { [self] in pump(from: upstream, to: client, .toWorker) }
        }
    }

    private func pump(from source: Int32, to destination: Int32, _ direction: Direction) {
        var index = 0
        while true {
            guard var record = readExactly(source, 4) else { break }
            let length = Int(record[0]) << 24 | Int(record[1]) << 16 | Int(record[2]) << 8 | Int(record[3])
            guard let rest = readExactly(source, length) else { break }
            record += rest
            if direction == self.direction, length > 0 {
                let flip = state.withLock { state -> Bool in
                    guard state.flipped == nil, shouldFlip(index, length) else { return false }
                    state.flipped = "record \(index) of \(4 + length) bytes, byte \(4 + length / 2)"
                    return true
                }
                if flip { record[4 + length / 2] ^= 0x10 }
            }
            state.withLock { $0.seen[direction]! += record }
            let sent = record.withUnsafeBytes { send(destination, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard sent == record.count else { break }
            index += 1
        }
        // Either side ended: end both, so that the other pump stops too.
        shutdown(source, Int32(SHUT_RDWR))
        shutdown(destination, Int32(SHUT_RDWR))
    }

    private func readExactly(_ fd: Int32, _ count: Int) -> [UInt8]? {
        var bytes = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            let got = bytes.withUnsafeMutableBytes { recv(fd, $0.baseAddress! + filled, count - filled, 0) }
            guard got > 0 else { return nil }
            filled += got
        }
        return bytes
    }

    deinit {
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }
}
