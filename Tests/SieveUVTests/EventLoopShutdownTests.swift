import XCTest
@testable import SieveUV

final class EventLoopShutdownTests: LoopTestCase {
    /// Weak references to every owner the test made: after shutdown none may stay alive, which
    /// shows each handle's close callback ran and released its owner.
    private var owners: [() -> AnyObject?] = []

    private func track(_ object: AnyObject) {
        owners.append { [weak object] in object }
    }

    /// Runs `body` so that its local references are gone when it returns.
    private func inOwnScope(_ body: () throws -> Void) rethrows {
        try body()
    }

    private func assertEveryOwnerReleased(file: StaticString = #filePath, line: UInt = #line) {
        let alive = owners.compactMap { $0() }.map { String(describing: type(of: $0)) }
        XCTAssertEqual(alive, [], "owners still alive after shutdown", file: file, line: line)
    }

    func testShutdownClosesHandlesStillOpenAndReleasesTheirOwners() throws {
        try inOwnScope {
            let timer = try LoopTimer(loop: loop)
            timer.start(timeoutMillis: 1000, repeatMillis: 1000) {}
            track(timer)
            let wakeup = try LoopWakeup(loop: loop)
            track(wakeup)
            let watcher = try SignalWatcher(loop: loop)
            try watcher.start(signal: SIGUSR2) { _ in }
            track(watcher)
            let (listener, server, client) = try connectedPair()
            track(listener); track(server); track(client)
            server.startReading()
            client.write(patternBytes(0..<(8 * 1024 * 1024)))  // more than the kernel takes: a write stays queued
            XCTAssertGreaterThan(client.queuedBytes, 0)
        }
        shutDownLoop()
        assertEveryOwnerReleased()
    }

    func testShutdownWithAChildProcessStillRunning() throws {
        try inOwnScope {
            let child = try ChildProcess(loop: loop, path: "/bin/sleep", arguments: ["0.2"]) { _, _ in }
            track(child)
        }
        shutDownLoop()
        assertEveryOwnerReleased()
    }

    func testShutdownWithAConnectStillInFlight() throws {
        let listener = try makeListener { _ in }
        var results: [Result<TCPConnection, UVError>] = []
        TCPConnection.connect(loop: loop, to: Endpoint(host: "127.0.0.1", port: listener.localPort)) { results.append($0) }
        shutDownLoop()
        XCTAssertEqual(results.count, 1, "the connect completion runs once, with the cancellation")
        if case .success? = results.first { XCTFail("a cancelled connect succeeded") }
    }

    func testShutdownWhileCloseAfterFlushWaitsForQueuedWrites() throws {
        try inOwnScope {
            let (_, server, client) = try connectedPair()
            track(server); track(client)
            server.write(patternBytes(0..<(8 * 1024 * 1024)))
            XCTAssertGreaterThan(server.queuedBytes, 0)
            server.closeAfterFlush()  // the shutdown request waits behind the queued write
        }
        shutDownLoop()
        assertEveryOwnerReleased()
    }

    func testShutdownTwiceIsHarmless() throws {
        _ = try makeListener { _ in }
        shutDownLoop()
        loop.shutdown()
    }

    func testOwnersClosedByShutdownIgnoreLaterCalls() throws {
        let timer = try LoopTimer(loop: loop)
        let listener = try makeListener { _ in }
        let (_, server, client) = try connectedPair()
        var closes = 0
        client.onClose = { _ in closes += 1 }
        shutDownLoop()
        // Their handles are freed; each call must see that and do nothing.
        timer.close()
        listener.close()
        client.write([1, 2, 3])
        client.closeAfterFlush()
        client.close()
        server.close()
        XCTAssertEqual(closes, 0, "shutdown drops callbacks without running them")
        XCTAssertEqual(client.queuedBytes, 0)
    }
}
