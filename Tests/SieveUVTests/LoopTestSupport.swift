import XCTest
import CLibUV
@testable import SieveUV
#if canImport(Glibc)
import Glibc
#endif

/// A test that owns one real libuv loop. `runLoop` runs it under a deadline: a timer stops the
/// loop and fails the test, so a broken behaviour fails in about a second instead of hanging
/// the suite. `tearDown` shuts the loop down, closing whatever the test left open.
class LoopTestCase: XCTestCase {
    private(set) var loop: EventLoop!
    private(set) var loopThread = pthread_self()
    private var isShutDown = false

    override func setUpWithError() throws {
        loop = try EventLoop()
        loopThread = pthread_self()
    }

    override func tearDown() {
        if !isShutDown { loop?.shutdown() }
        loop = nil
    }

    /// Shuts the loop down now (tearDown then leaves it alone).
    func shutDownLoop() {
        isShutDown = true
        loop.shutdown()
    }

    /// Runs the loop until something calls `loop.stop()` (or nothing is left to do); fails the
    /// test and returns false if `deadlineMillis` pass first.
    @discardableResult
    func runLoop(deadlineMillis: UInt64 = 1500, file: StaticString = #filePath, line: UInt = #line) -> Bool {
        var timedOut = false
        let deadline = try! LoopTimer(loop: loop)
        deadline.start(timeoutMillis: deadlineMillis) { [loop] in
            timedOut = true
            loop!.stop()
        }
        loop.run()
        deadline.close()
        if timedOut { XCTFail("still waiting after \(deadlineMillis) ms", file: file, line: line) }
        return !timedOut
    }

    /// Runs the loop expecting it to end by itself (nothing left that keeps it alive) within
    /// `withinMillis`. The deadline is an unreferenced timer, so it does not keep the loop
    /// alive itself; if something else does, the timer stops the loop and the test fails
    /// (with `failing`) instead of hanging the suite. Returns whether the loop ended by itself.
    @discardableResult
    func runLoopUntilItEnds(withinMillis: UInt64 = 1500, failing: Bool = true,
                            file: StaticString = #filePath, line: UInt = #line) -> Bool {
        var timedOut = false
        let deadline = try! LoopTimer(loop: loop)
        deadline.start(timeoutMillis: withinMillis) { [loop] in
            timedOut = true
            loop!.stop()
        }
        deadline.unreference()
        loop.run()
        deadline.close()
        if timedOut && failing { XCTFail("the loop still runs after \(withinMillis) ms", file: file, line: line) }
        return !timedOut
    }

    /// Stops the loop `millis` from now: lets late, unwanted callbacks (a second onClose, a
    /// timer that should have stopped) show up before the test checks that they did not.
    func stopLoop(afterMillis millis: UInt64) {
        let timer = try! LoopTimer(loop: loop)
        timer.start(timeoutMillis: millis) { [loop] in
            timer.close()
            loop!.stop()
        }
    }

    var isOnLoopThread: Bool { pthread_equal(pthread_self(), loopThread) != 0 }

    /// Handles of this loop that are open and not closing, counted with uv_walk.
    var openHandleCount: Int {
        var count = 0
        uv_walk(loop.raw, { handle, context in
            if let handle, uv_is_closing(handle) == 0 {
                context!.assumingMemoryBound(to: Int.self).pointee += 1
            }
        }, &count)
        return count
    }

    /// A listener on 127.0.0.1 with an OS-chosen port, already listening.
    func makeListener(_ onConnection: @escaping (TCPConnection) -> Void) throws -> TCPListener {
        let listener = try TCPListener(loop: loop, endpoint: Endpoint(host: "127.0.0.1", port: 0))
        try listener.listen(onConnection)
        return listener
    }

    /// A listener and a client connected to it, both ends open; the loop is stopped again when
    /// this returns. Reading has not started on either end.
    func connectedPair(file: StaticString = #filePath, line: UInt = #line) throws
        -> (listener: TCPListener, server: TCPConnection, client: TCPConnection) {
        var server: TCPConnection?
        var client: TCPConnection?
        let listener = try makeListener { connection in
            server = connection
            if client != nil { self.loop.stop() }
        }
        TCPConnection.connect(loop: loop, to: Endpoint(host: "127.0.0.1", port: listener.localPort)) { result in
            switch result {
            case let .success(connection): client = connection
            case let .failure(error): XCTFail("connect: \(error)", file: file, line: line)
            }
            if server != nil || client == nil { self.loop.stop() }
        }
        runLoop(file: file, line: line)
        guard let server, let client else { throw NoConnectedPair() }
        return (listener, server, client)
    }
}

struct NoConnectedPair: Error {}

/// Bytes with no short period, so a lost, repeated or reordered chunk shows up at once.
@inline(__always)
func patternByte(_ index: Int) -> UInt8 {
    UInt8(truncatingIfNeeded: (index &* 7919) ^ (index &>> 9) ^ (index &>> 17))
}

/// The pattern bytes at stream offsets `range` (written with plain loops over raw memory:
/// these tests build and check megabytes in debug builds).
func patternBytes(_ range: Range<Int>) -> [UInt8] {
    [UInt8](unsafeUninitializedCapacity: range.count) { buffer, initialized in
        let base = range.lowerBound
        for offset in 0..<range.count { buffer[offset] = patternByte(base &+ offset) }
        initialized = range.count
    }
}

/// Checks a byte stream against `patternByte` as it arrives, chunk by chunk, and keeps an
/// FNV-1a checksum of everything it saw.
final class PatternChecker {
    private(set) var received = 0
    private(set) var firstMismatch: Int?
    private(set) var checksum: UInt64 = PatternChecker.checksumSeed

    private static let checksumSeed: UInt64 = 0xcbf2_9ce4_8422_2325
    private static let checksumPrime: UInt64 = 0x100_0000_01b3

    func consume(_ bytes: UnsafeRawBufferPointer) {
        var offset = received, hash = checksum, mismatch = firstMismatch
        for byte in bytes {
            if mismatch == nil && byte != patternByte(offset) { mismatch = offset }
            hash = (hash ^ UInt64(byte)) &* Self.checksumPrime
            offset &+= 1
        }
        received = offset
        checksum = hash
        firstMismatch = mismatch
    }

    static func checksum(of bytes: [UInt8]) -> UInt64 {
        var hash = checksumSeed
        for byte in bytes { hash = (hash ^ UInt64(byte)) &* checksumPrime }
        return hash
    }
}
