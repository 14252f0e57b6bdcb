import XCTest
import CLibUV
@testable import SieveUV

final class TCPConnectionTests: LoopTestCase {
    func testListenerOnPortZeroReportsTheChosenPort() throws {
        let listener = try makeListener { _ in }
        XCTAssertGreaterThan(listener.localPort, 0)
        XCTAssertLessThanOrEqual(listener.localPort, 65535)
    }

    func testAcceptedConnectionKnowsItsPeerAndTheServerEchoes() throws {
        let (listener, server, client) = try connectedPair()
        XCTAssertTrue(server.peer.hasPrefix("127.0.0.1:"), server.peer)
        XCTAssertEqual(client.peer, "127.0.0.1:\(listener.localPort)")
        server.onRead = { [unowned server] bytes in server.write(Array(bytes)) }
        server.startReading()
        var echoed: [UInt8] = []
        client.onRead = { [loop] bytes in
            echoed += bytes
            if echoed.count == 5 { loop!.stop() }
        }
        client.startReading()
        client.write(Array("hello".utf8))
        runLoop()
        XCTAssertEqual(String(decoding: echoed, as: UTF8.self), "hello")
    }

    func testFiveMegabytesInOneWriteArriveCompleteAndInOrderThroughAnEcho() throws {
        let total = 5 * 1024 * 1024
        let (_, server, client) = try connectedPair()
        server.onRead = { [unowned server] bytes in server.write(Array(bytes)) }
        server.startReading()
        let checker = PatternChecker()
        client.onRead = { [loop] bytes in
            checker.consume(bytes)
            if checker.received >= total { loop!.stop() }
        }
        client.onClose = { [loop] error in
            XCTFail("the client closed early: \(String(describing: error))")
            loop!.stop()
        }
        client.startReading()
        let payload = patternBytes(0..<total)
        client.write(payload)
        // The kernel cannot take 5 MB at once: the rest must have gone to the queued-copy path.
        XCTAssertGreaterThan(client.queuedBytes, 0, "uv_try_write took everything; the queued path went untested")
        XCTAssertLessThanOrEqual(client.queuedBytes, total)
        runLoop()
        XCTAssertEqual(checker.received, total)
        XCTAssertNil(checker.firstMismatch, "first wrong byte")
        XCTAssertEqual(checker.checksum, PatternChecker.checksum(of: payload))
        XCTAssertEqual(client.queuedBytes, 0)
        XCTAssertEqual(server.queuedBytes, 0)
    }

    func testTenThousandSmallWritesArriveInOrder() throws {
        let count = 10_000, size = 10
        let (_, server, client) = try connectedPair()
        let checker = PatternChecker()
        server.onRead = { [loop] bytes in
            checker.consume(bytes)
            if checker.received >= count * size { loop!.stop() }
        }
        server.startReading()
        for index in 0..<count {
            client.write(patternBytes(index * size..<(index + 1) * size))
        }
        runLoop()
        XCTAssertEqual(checker.received, count * size)
        XCTAssertNil(checker.firstMismatch, "first wrong byte")
    }

    func testSmallWritesBehindQueuedBytesKeepTheirOrder() throws {
        let (_, server, client) = try connectedPair()
        // Fill the kernel's buffers (the server is not reading yet) until a write has to queue.
        var total = 0
        while client.queuedBytes == 0 && total < 64 * 1024 * 1024 {
            client.write(patternBytes(total..<total + 1024 * 1024))
            total += 1024 * 1024
        }
        XCTAssertGreaterThan(client.queuedBytes, 0, "64 MB went straight into the kernel")
        let queuedBeforeSmallWrites = client.queuedBytes
        let small = 7, count = 2000
        for _ in 0..<count {
            client.write(patternBytes(total..<total + small))
            total += small
        }
        XCTAssertEqual(client.queuedBytes, queuedBeforeSmallWrites + small * count,
                       "small writes must queue behind the queued bytes, not go to the kernel ahead of them")
        let checker = PatternChecker()
        server.onRead = { [loop, total] bytes in
            checker.consume(bytes)
            if checker.received >= total { loop!.stop() }
        }
        server.startReading()
        runLoop()
        XCTAssertEqual(checker.received, total)
        XCTAssertNil(checker.firstMismatch, "first wrong byte")
        XCTAssertEqual(client.queuedBytes, 0)
    }

    /// Vectored writes: buffers of bytes, `UInt64`s and `Double`s go out one after the other,
    /// unchanged, whether the kernel takes them at once, in part (the rest queued from the
    /// middle of some buffer) or not at all.
    func testVectoredWritesSendTheirBuffersInOrderWhateverTheKernelTakes() throws {
        let (_, server, client) = try connectedPair()
        var total = 0
        var sizes: UInt64 = 12345
        func nextSize(_ limit: Int) -> Int {
            sizes = sizes &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int(sizes >> 33) % limit
        }
        // Writes of three to five buffers until 16 MB are out (the server is not reading yet,
        // so the kernel soon takes only part of a write, then nothing).
        var queuedWrites = 0
        while total < 16 * 1024 * 1024 {
            var buffers: [WriteBuffer] = []
            for part in 0..<(3 + nextSize(3)) {
                // Bytes of any length (short ones, long ones); arrays of 8-byte words.
                let size = part % 3 != 0 ? 8 * (1 + nextSize(100_000)) : part == 0 ? 1 + nextSize(300) : 1 + nextSize(200_000)
                let bytes = patternBytes(total..<total + size)
                total += size
                switch part % 3 {
                case 0: buffers.append(WriteBuffer(bytes))
                case 1:
                    buffers.append(WriteBuffer([UInt64](unsafeUninitializedCapacity: size / 8) { buffer, count in
                        bytes.withUnsafeBytes { UnsafeMutableRawBufferPointer(buffer).copyMemory(from: $0) }
                        count = size / 8
                    }))
                default:
                    buffers.append(WriteBuffer([Double](unsafeUninitializedCapacity: size / 8) { buffer, count in
                        bytes.withUnsafeBytes { UnsafeMutableRawBufferPointer(buffer).copyMemory(from: $0) }
                        count = size / 8
                    }))
                }
            }
            let queuedBefore = client.queuedBytes
            client.write(buffers)
            if client.queuedBytes > queuedBefore { queuedWrites += 1 }
            XCTAssertLessThanOrEqual(client.queuedBytes - queuedBefore, buffers.reduce(0) { $0 + $1.count })
        }
        XCTAssertGreaterThan(queuedWrites, 1, "the queued path went untested")
        let checker = PatternChecker()
        server.onRead = { [loop, total] bytes in
            checker.consume(bytes)
            if checker.received >= total { loop!.stop() }
        }
        server.startReading()
        runLoop(deadlineMillis: 5000)
        XCTAssertEqual(checker.received, total)
        XCTAssertNil(checker.firstMismatch, "first wrong byte")
        XCTAssertEqual(client.queuedBytes, 0)
    }

    /// A queued write keeps the caller's array rather than a copy; the caller changing its own
    /// copy afterwards must not change what is sent (arrays are copied on write).
    func testAQueuedArrayChangedByTheCallerAfterTheWriteGoesOutAsItWas() throws {
        let (_, server, client) = try connectedPair()
        let total = 8 * 1024 * 1024
        var payload = patternBytes(0..<total)
        var values = [UInt64](repeating: 0, count: 1024)
        let tail = patternBytes(total..<(total + 8 * 1024))
        values.withUnsafeMutableBytes { raw in tail.withUnsafeBytes { raw.copyMemory(from: $0) } }
        client.write(payload)
        client.write([WriteBuffer(values)])
        XCTAssertGreaterThan(client.queuedBytes, 0)
        for index in stride(from: 0, to: total, by: 4096) { payload[index] ^= 0xFF }
        for index in values.indices { values[index] = 0 }
        let checker = PatternChecker()
        server.onRead = { [loop] bytes in
            checker.consume(bytes)
            if checker.received >= total + tail.count { loop!.stop() }
        }
        server.startReading()
        runLoop(deadlineMillis: 5000)
        XCTAssertEqual(checker.received, total + tail.count)
        XCTAssertNil(checker.firstMismatch, "first wrong byte")
    }

    func testBytesWrittenBeforeCloseAfterFlushAllArriveThenACleanEndOfStream() throws {
        let total = 1024 * 1024
        var serverCloses: [UVError?] = []
        let listener = try makeListener { connection in
            connection.onClose = { serverCloses.append($0) }
            connection.write(patternBytes(0..<total))
            connection.closeAfterFlush()
        }
        let checker = PatternChecker()
        var clientCloses: [UVError?] = []
        TCPConnection.connect(loop: loop, to: Endpoint(host: "127.0.0.1", port: listener.localPort)) { [loop] result in
            guard case let .success(client) = result else { return XCTFail("connect: \(result)") }
            client.onRead = { checker.consume($0) }
            client.onClose = { error in
                clientCloses.append(error)
                loop!.stop()
            }
            client.startReading()
        }
        runLoop()
        XCTAssertEqual(checker.received, total, "bytes before the end of stream")
        XCTAssertNil(checker.firstMismatch)
        stopLoop(afterMillis: 50)
        runLoop()
        XCTAssertEqual(clientCloses.count, 1, "client onClose calls")
        XCTAssertNil(clientCloses.first ?? UVError("missing", -1), "clean end of stream reports no error")
        XCTAssertEqual(serverCloses.count, 1, "server onClose calls")
        XCTAssertNil(serverCloses.first ?? UVError("missing", -1))
        listener.close()
        XCTAssertEqual(openHandleCount, 0, "handles left open")
    }

    func testCloseAfterFlushWaitsForQueuedWritesBeforeEndingTheStream() throws {
        let (_, server, client) = try connectedPair()
        // The client is not reading yet, so the kernel fills up and the rest queues in libuv.
        var total = 0
        while server.queuedBytes < 1024 * 1024 && total < 64 * 1024 * 1024 {
            server.write(patternBytes(total..<total + 1024 * 1024))
            total += 1024 * 1024
        }
        XCTAssertGreaterThan(server.queuedBytes, 0)
        var serverCloses = 0
        server.onClose = { _ in serverCloses += 1 }
        server.closeAfterFlush()
        XCTAssertEqual(serverCloses, 0, "closeAfterFlush closed before the queued bytes went out")
        let checker = PatternChecker()
        var clientCloses: [UVError?] = []
        client.onRead = { checker.consume($0) }
        client.onClose = { [loop] error in
            clientCloses.append(error)
            loop!.stop()
        }
        client.startReading()
        runLoop()
        XCTAssertEqual(checker.received, total)
        XCTAssertNil(checker.firstMismatch, "first wrong byte")
        XCTAssertEqual(clientCloses.count, 1, "the client's end of stream")
        XCTAssertNil(clientCloses.first ?? UVError("missing", -1), "end of stream is a clean close")
        stopLoop(afterMillis: 50)
        runLoop()
        XCTAssertEqual(serverCloses, 1, "the server's onClose once the client ended its side")
    }

    func testCloseAfterFlushDeliversEverythingWhileThePeerKeepsSending() throws {
        // A peer that is still talking (a worker's heartbeat) when we close after a last frame:
        // closing with its bytes unread makes the kernel reset the connection, which throws
        // away what we sent and it has not read yet.
        let (_, server, client) = try connectedPair()
        var total = 0
        while server.queuedBytes < 1024 * 1024 && total < 64 * 1024 * 1024 {
            server.write(patternBytes(total..<total + 1024 * 1024))
            total += 1024 * 1024
        }
        var serverCloses = 0
        server.onRead = { _ in }
        server.onClose = { _ in serverCloses += 1 }
        server.startReading()
        server.closeAfterFlush()
        let chatter = try LoopTimer(loop: loop)
        chatter.start(timeoutMillis: 1, repeatMillis: 1) { client.write([UInt8](repeating: 7, count: 4096)) }
        let checker = PatternChecker()
        var clientCloses: [UVError?] = []
        client.onRead = { checker.consume($0) }
        client.onClose = { [loop] error in
            clientCloses.append(error)
            chatter.close()
            loop!.stop()
        }
        client.startReading()
        runLoop()
        XCTAssertEqual(checker.received, total, "bytes lost before the end of the stream")
        XCTAssertNil(checker.firstMismatch, "first wrong byte")
        XCTAssertEqual(clientCloses.count, 1)
        XCTAssertNil(clientCloses.first ?? UVError("missing", -1), "end of stream is a clean close")
        stopLoop(afterMillis: 50)
        runLoop()
        XCTAssertEqual(serverCloses, 1, "the server's onClose after the client ended its side")
    }

    func testCloseAfterFlushClosesAfterTheLingerWhenThePeerNeverEndsItsSide() throws {
        let (_, server, client) = try connectedPair()
        _ = client  // open, but it never reads, so it never sees our end of stream
        server.lingerMillis = 100
        var serverCloses: [UVError?] = []
        server.onClose = { [loop] error in
            serverCloses.append(error)
            loop!.stop()
        }
        let started = loop.nowMillis
        server.write(patternBytes(0..<1000))
        server.closeAfterFlush()
        runLoop()
        XCTAssertEqual(serverCloses.count, 1)
        XCTAssertNil(serverCloses.first ?? UVError("missing", -1))
        XCTAssertGreaterThanOrEqual(loop.nowMillis &- started, 100, "closed before the linger ran out")
    }

    func testCloseAfterFlushTwiceStillDeliversEverything() throws {
        let (_, server, client) = try connectedPair()
        var total = 0
        while server.queuedBytes < 1024 * 1024 && total < 64 * 1024 * 1024 {
            server.write(patternBytes(total..<total + 1024 * 1024))
            total += 1024 * 1024
        }
        server.closeAfterFlush()
        server.closeAfterFlush()
        server.write([1, 2, 3])  // nothing may follow the last frame
        let checker = PatternChecker()
        client.onRead = { checker.consume($0) }
        client.onClose = { [loop] _ in loop!.stop() }
        client.startReading()
        runLoop()
        XCTAssertEqual(checker.received, total)
        XCTAssertNil(checker.firstMismatch, "first wrong byte")
    }

    func testPeerCloseRunsTheServerOnCloseExactlyOnce() throws {
        let (listener, server, client) = try connectedPair()
        var serverCloses: [UVError?] = []
        server.onClose = { [loop] error in
            serverCloses.append(error)
            XCTAssertTrue(self.isOnLoopThread)
            loop!.stop()
        }
        server.startReading()
        var clientCloses = 0
        client.onClose = { _ in clientCloses += 1 }
        client.close()
        XCTAssertEqual(clientCloses, 1, "a local close reports at once")
        runLoop()
        stopLoop(afterMillis: 50)
        runLoop()
        XCTAssertEqual(serverCloses.count, 1)
        XCTAssertNil(serverCloses.first ?? UVError("missing", -1), "end of stream is a clean close")
        XCTAssertEqual(clientCloses, 1)
        client.close()
        server.close()
        XCTAssertEqual(clientCloses, 1, "closing again reports nothing")
        listener.close()
        XCTAssertEqual(openHandleCount, 0, "handles left open")
    }

    func testWritesAfterCloseAreIgnored() throws {
        let (_, _, client) = try connectedPair()
        client.close()
        client.write([1, 2, 3])
        client.closeAfterFlush()
        XCTAssertEqual(client.queuedBytes, 0)
    }

    func testConnectToAPortNobodyListensOnFailsWithConnectionRefusedOnce() throws {
        let vacated = try makeListener { _ in }
        let port = vacated.localPort
        vacated.close()  // the socket closes now; its port is free and nobody listens there
        var results: [Result<TCPConnection, UVError>] = []
        TCPConnection.connect(loop: loop, to: Endpoint(host: "127.0.0.1", port: port)) { [loop] result in
            results.append(result)
            XCTAssertTrue(self.isOnLoopThread)
            loop!.stop()
        }
        runLoop()
        stopLoop(afterMillis: 50)
        runLoop()
        XCTAssertEqual(results.count, 1, "completion calls")
        guard case let .failure(error)? = results.first else { return XCTFail("connected to a closed port") }
        XCTAssertEqual(error.status, UV_ECONNREFUSED.rawValue, "\(error)")
        XCTAssertEqual(openHandleCount, 0, "the failed connection's handle is closed")
    }

    func testConnectToAnAddressThatCannotBeParsedFailsOnceAndLeavesNoHandle() {
        var results: [Result<TCPConnection, UVError>] = []
        TCPConnection.connect(loop: loop, to: Endpoint(host: "zz::1", port: 80)) { results.append($0) }
        XCTAssertEqual(results.count, 1, "an unusable address fails at once")
        if case .success? = results.first { XCTFail("connected to zz::1") }
        XCTAssertEqual(openHandleCount, 0, "a handle stayed open for a connect that never started")
    }

    func testBindingAPortAlreadyInUseThrows() throws {
        let taken = try makeListener { _ in }
        XCTAssertThrowsError(try {
            let second = try TCPListener(loop: loop, endpoint: Endpoint(host: "127.0.0.1", port: taken.localPort))
            try second.listen { _ in }
        }()) { error in
            XCTAssertEqual((error as? UVError)?.status, UV_EADDRINUSE.rawValue, "\(error)")
        }
    }

    func testBindingAPortAlreadyInUseThrowsFromTheInitializer() throws {
        // Callers (CoordinatorService) read `localPort` right after the initializer, before
        // `listen`, so a taken port must fail there rather than report port 0.
        let taken = try makeListener { _ in }
        XCTAssertThrowsError(try TCPListener(loop: loop, endpoint: Endpoint(host: "127.0.0.1", port: taken.localPort))) { error in
            XCTAssertEqual((error as? UVError)?.status, UV_EADDRINUSE.rawValue, "\(error)")
        }
    }

    func testListenerOnIPv6LoopbackAcceptsAConnection() throws {
        let listener: TCPListener
        do {
            listener = try TCPListener(loop: loop, endpoint: Endpoint(host: "::1", port: 0))
        } catch {
            throw XCTSkip("no IPv6 loopback here: \(error)")
        }
        var accepted: TCPConnection?
        try listener.listen { [loop] connection in
            accepted = connection
            loop!.stop()
        }
        XCTAssertGreaterThan(listener.localPort, 0)
        TCPConnection.connect(loop: loop, to: Endpoint(host: "::1", port: listener.localPort)) { result in
            if case let .failure(error) = result { XCTFail("connect: \(error)") }
        }
        runLoop()
        XCTAssertTrue(accepted?.peer.hasPrefix("[::1]:") == true, accepted?.peer ?? "nothing accepted")
    }
}
