import XCTest
@testable import SieveUV

/// The readiness notification, received on a real datagram socket.
final class SystemdNotifyTests: XCTestCase {
    func receive(boundTo path: String, abstract: Bool, _ send: () -> Bool) throws -> String {
        let descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        defer { close(descriptor) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var name = Array(path.utf8)
        if abstract { name[0] = 0 }
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: name) }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + name.count + (abstract ? 0 : 1))
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) } }
        XCTAssertEqual(bound, 0)
        XCTAssertTrue(send())
        var buffer = [UInt8](repeating: 0, count: 512)
        let count = recv(descriptor, &buffer, buffer.count, Int32(MSG_DONTWAIT))
        XCTAssertGreaterThan(count, 0)
        return String(decoding: buffer[0..<max(count, 0)], as: UTF8.self)
    }

    func testReadyReachesAPathSocket() throws {
        let path = NSTemporaryDirectory() + "notify-\(getpid()).sock"
        unlink(path)
        defer { unlink(path) }
        let text = try receive(boundTo: path, abstract: false) { SystemdNotify.send("READY=1\nSTATUS=listening", socketPath: path) }
        XCTAssertEqual(text, "READY=1\nSTATUS=listening")
    }

    func testReadyReachesAnAbstractSocket() throws {
        let name = "@gradsieve-notify-\(getpid())"
        let text = try receive(boundTo: name, abstract: true) { SystemdNotify.send("READY=1", socketPath: name) }
        XCTAssertEqual(text, "READY=1")
    }

    func testWithoutASocketNothingIsSent() {
        unsetenv("NOTIFY_SOCKET")
        XCTAssertFalse(SystemdNotify.send("READY=1"))
    }
}
