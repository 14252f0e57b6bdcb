import Crypto
import Foundation
import XCTest

@testable import SieveSeal
import SieveWire

final class SealTests: XCTestCase {
    static let secret = Array("correct horse battery staple".utf8)
    static let challenge = [UInt8](repeating: 0x11, count: 32)
    static let workerNonce = [UInt8](repeating: 0x22, count: 32)
    static let keys = SessionKeys.derive(secret: secret, challenge: challenge, workerNonce: workerNonce)

    static let messages: [Message] = [
        .assign(Assignment(epoch: 1, phase: .score, shard: 7, attempt: 0, rowStart: 28672, rowCount: 4096)),
        .scores(ShardScores(epoch: 1, shard: 7, attempt: 0, rowStart: 28672, rowCount: 2, columns: ["score", "norm"],
                            values: [0.5, 1.0, -0.25, 2.0])),
        .heartbeat(Heartbeat(shardsInFlight: 3)),
        .done(Done(status: 0, message: "ok")),
    ]

    /// Every frame the opener hands over, decoded.
    static func openAll(_ opener: inout FrameOpener) throws -> [Message] {
        var decoded: [Message] = []
        while let frame = try opener.next() {
            decoded.append(try Message.decode(frame: frame))
        }
        return decoded
    }

    func sealed(_ messages: [Message], algorithm: SealAlgorithm = .protocolAlgorithm, side: SessionKeys.Side = .worker) throws -> [[UInt8]] {
        var sealer = Self.keys.sealer(for: side, algorithm: algorithm)
        return try messages.enumerated().map { try sealer.seal($0.element, requestID: UInt32($0.offset)) }
    }

    func coordinatorOpener(_ algorithm: SealAlgorithm = .protocolAlgorithm) -> FrameOpener {
        var opener = FrameOpener(algorithm: algorithm)
        opener.startOpening(key: Self.keys.receivingKey(for: .coordinator))
        return opener
    }

    func testKeysDifferPerDirectionAndPerNonce() {
        let keys = Self.keys
        XCTAssertEqual(keys.coordinatorToWorker.count, 32)
        XCTAssertNotEqual(keys.coordinatorToWorker, keys.workerToCoordinator)
        XCTAssertEqual(keys.sendingKey(for: .worker), keys.receivingKey(for: .coordinator))
        XCTAssertEqual(keys.sendingKey(for: .coordinator), keys.receivingKey(for: .worker))
        XCTAssertEqual(SessionKeys.derive(secret: Self.secret, challenge: Self.challenge, workerNonce: Self.workerNonce), keys)
        var otherNonce = Self.workerNonce
        otherNonce[31] ^= 1
        XCTAssertNotEqual(SessionKeys.derive(secret: Self.secret, challenge: Self.challenge, workerNonce: otherNonce), keys)
        XCTAssertNotEqual(SessionKeys.derive(secret: Self.secret + [0x21], challenge: Self.challenge, workerNonce: Self.workerNonce), keys)
        // The nonces' lengths are part of the salt: moving a byte from one nonce to the other changes the keys.
        XCTAssertNotEqual(
            SessionKeys.derive(secret: Self.secret, challenge: Self.challenge + [0x22], workerNonce: Array(Self.workerNonce.dropFirst())),
            keys)
    }

    /// The derivation pinned, so that a change to it (or to swift-crypto's HKDF) is seen:
    /// docs/protocol.md 8.5 lists these bytes.
    func testKeyDerivationExample() {
        let keys = SessionKeys.derive(secret: Array("token".utf8), challenge: Array(0..<32), workerNonce: Array(32..<64))
        XCTAssertEqual(hex(keys.coordinatorToWorker), SealExample.coordinatorToWorkerKey)
        XCTAssertEqual(hex(keys.workerToCoordinator), SealExample.workerToCoordinatorKey)
    }

    func testSealedFrameExample() throws {
        let keys = SessionKeys.derive(secret: Array("token".utf8), challenge: Array(0..<32), workerNonce: Array(32..<64))
        var sealer = keys.sealer(for: .coordinator)
        let sealed = try sealer.seal(.done(Done(status: 0, message: "ok")), requestID: 0)
        XCTAssertEqual(hex(sealed), SealExample.sealedDone)
        XCTAssertEqual(Array(sealed[0..<4]), [0, 0, 0, 19 + 16])
    }

    /// docs/protocol.md 8.5 shows the same keys and sealed frame.
    func testProtocolDocShowsTheExample() throws {
        let doc = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("docs/protocol.md")
        let text = try String(contentsOf: doc, encoding: .utf8)
        func spaced(_ hex: String) -> String {
            stride(from: 0, to: hex.count, by: 2).map { String(Array(hex)[$0..<($0 + 2)]) }.joined(separator: " ")
        }
        XCTAssertTrue(text.contains("K_cw = " + spaced(SealExample.coordinatorToWorkerKey)))
        XCTAssertTrue(text.contains("K_wc = " + spaced(SealExample.workerToCoordinatorKey)))
        let bytes = spaced(SealExample.sealedDone).split(separator: " ")
        for line in stride(from: 0, to: bytes.count, by: 16) {
            let offset = String(line, radix: 16)
            let prefix = String(repeating: "0", count: 4 - offset.count) + offset
            XCTAssertTrue(text.contains(prefix + "  " + bytes[line..<min(line + 16, bytes.count)].joined(separator: " ")), "line \(prefix)")
        }
    }

    func testRoundTripBothAlgorithmsWholeAndByteByByte() throws {
        for algorithm in SealAlgorithm.allCases {
            let stream = try sealed(Self.messages, algorithm: algorithm).flatMap { $0 }
            XCTAssertEqual(stream.count, Self.messages.reduce(0) { $0 + $1.encoded().count + Seal.overhead })
            var whole = coordinatorOpener(algorithm)
            whole.append(stream)
            XCTAssertEqual(try Self.openAll(&whole), Self.messages, "\(algorithm)")
            XCTAssertEqual(whole.bufferedCount, 0)
            var split = coordinatorOpener(algorithm)
            var decoded: [Message] = []
            for byte in stream {
                split.append([byte])
                decoded += try Self.openAll(&split)
            }
            XCTAssertEqual(decoded, Self.messages, "\(algorithm) byte by byte")
        }
    }

    func testReadsIntoTheOfferedSpace() throws {
        let stream = try sealed(Self.messages).flatMap { $0 }
        var opener = coordinatorOpener()
        var offset = 0
        var decoded: [Message] = []
        while offset < stream.count {
            let space = opener.spaceForNextRead()
            let count = min(space.count, 5, stream.count - offset)
            stream.withUnsafeBytes { space.baseAddress!.copyMemory(from: $0.baseAddress! + offset, byteCount: count) }
            opener.append(UnsafeRawBufferPointer(rebasing: space[0..<count]))
            offset += count
            decoded += try Self.openAll(&opener)
        }
        XCTAssertEqual(decoded, Self.messages)
    }

    func testEverySingleByteFlipIsRejected() throws {
        for algorithm in SealAlgorithm.allCases {
            let frame = try sealed([Self.messages[1]], algorithm: algorithm)[0]
            for index in frame.indices {
                for bit in [UInt8(0x01), 0x80] {
                    var altered = frame
                    altered[index] ^= bit
                    var opener = coordinatorOpener(algorithm)
                    opener.append(altered)
                    do {
                        let opened = try opener.next()
                        // A flip in the length field may announce more bytes than there are: then
                        // nothing is handed over yet, and nothing ever will be that did not open.
                        XCTAssertNil(opened, "\(algorithm): flip of bit \(bit) in byte \(index) was accepted")
                        XCTAssertLessThan(index, 4)
                    } catch let error as WireError {
                        XCTAssertTrue([.authenticationFailed, .frameTooLarge, .frameTooShort].contains(error.code), "\(error)")
                        if index >= 4 { XCTAssertEqual(error.code, .authenticationFailed) }
                    }
                }
            }
        }
    }

    func testReplayIsRejected() throws {
        let frames = try sealed(Self.messages)
        var opener = coordinatorOpener()
        opener.append(frames[0])
        opener.append(frames[1])
        opener.append(frames[1])
        XCTAssertNotNil(try opener.next())
        XCTAssertNotNil(try opener.next())
        XCTAssertThrowsError(try opener.next()) { error in
            XCTAssertEqual((error as? WireError)?.code, .authenticationFailed)
            XCTAssertTrue("\(error)".contains("sealed frame number 2"), "\(error)")
        }
        // And the stream stays failed.
        XCTAssertThrowsError(try opener.next())
        // Replaying the first frame at the start of another connection with other nonces fails too.
        let other = SessionKeys.derive(secret: Self.secret, challenge: Self.challenge, workerNonce: [UInt8](repeating: 0x33, count: 32))
        var second = FrameOpener()
        second.startOpening(key: other.receivingKey(for: .coordinator))
        second.append(frames[0])
        XCTAssertThrowsError(try second.next())
    }

    func testReorderAndDropAreRejected() throws {
        let frames = try sealed(Self.messages)
        var reordered = coordinatorOpener()
        reordered.append(frames[1])
        reordered.append(frames[0])
        XCTAssertThrowsError(try reordered.next()) { XCTAssertEqual(($0 as? WireError)?.code, .authenticationFailed) }
        var dropped = coordinatorOpener()
        dropped.append(frames[0])
        dropped.append(frames[2])
        XCTAssertNotNil(try dropped.next())
        XCTAssertThrowsError(try dropped.next()) { XCTAssertEqual(($0 as? WireError)?.code, .authenticationFailed) }
    }

    func testWrongKeyWrongDirectionAndWrongAlgorithmAreRejected() throws {
        let frame = try sealed([Self.messages[0]])[0]
        let wrongToken = SessionKeys.derive(secret: Array("another token".utf8), challenge: Self.challenge, workerNonce: Self.workerNonce)
        var wrong = FrameOpener()
        wrong.startOpening(key: wrongToken.receivingKey(for: .coordinator))
        wrong.append(frame)
        XCTAssertThrowsError(try wrong.next()) { XCTAssertEqual(($0 as? WireError)?.code, .authenticationFailed) }
        // The worker's own frame reflected back to it.
        var reflected = FrameOpener()
        reflected.startOpening(key: Self.keys.receivingKey(for: .worker))
        reflected.append(frame)
        XCTAssertThrowsError(try reflected.next()) { XCTAssertEqual(($0 as? WireError)?.code, .authenticationFailed) }
        var otherAlgorithm = coordinatorOpener(.chaChaPoly)
        otherAlgorithm.append(frame)
        XCTAssertThrowsError(try otherAlgorithm.next()) { XCTAssertEqual(($0 as? WireError)?.code, .authenticationFailed) }
    }

    func testPlainFrameOnASealedConnectionIsRejected() {
        var opener = coordinatorOpener()
        opener.append(Message.heartbeat(Heartbeat(shardsInFlight: 1)).encoded())  // 14 bytes: too short to be sealed
        XCTAssertThrowsError(try opener.next()) { XCTAssertEqual(($0 as? WireError)?.code, .frameTooShort) }
        var scores = coordinatorOpener()
        scores.append(Self.messages[1].encoded())
        XCTAssertThrowsError(try scores.next()) { XCTAssertEqual(($0 as? WireError)?.code, .authenticationFailed) }
    }

    func testOversizeIsRejectedFromTheLengthFieldAlone() {
        var opener = FrameOpener(maximumFrameLength: 1000)
        opener.startOpening(key: Self.keys.receivingKey(for: .coordinator))
        opener.append([0, 0, 0x03, 0xfd])  // 1021 = 1000 + 4 + 16 + 1
        XCTAssertThrowsError(try opener.next()) { XCTAssertEqual(($0 as? WireError)?.code, .frameTooLarge) }
        var limit = FrameOpener(maximumFrameLength: 1000)
        limit.startOpening(key: Self.keys.receivingKey(for: .coordinator))
        limit.append([0, 0, 0x03, 0xfc])  // exactly the maximum: waits for the rest
        XCTAssertNil(try limit.next())
        XCTAssertGreaterThanOrEqual(limit.spaceForNextRead().count, 1020)
        var plain = FrameOpener(maximumFrameLength: 1000)
        plain.append([0, 0, 0x03, 0xe9])
        XCTAssertThrowsError(try plain.next()) { XCTAssertEqual(($0 as? WireError)?.code, .frameTooLarge) }
    }

    func testSealedPlaintextMustBeOneWholeFrame() throws {
        // Two frames sealed as one record, which only a peer holding the key can send (the
        // sealer refuses such input, so the record is made with the AEAD directly): refused
        // after it opens, since the first frame's length field does not cover what was sealed.
        let plain = Self.messages[2].encoded() + Self.messages[3].encoded()
        let lengthField = Seal.lengthField(plain.count + Seal.tagLength)
        let key = SymmetricKey(data: Self.keys.sendingKey(for: .worker))
        let record = plain.withUnsafeBytes { bytes in
            SealAlgorithm.protocolAlgorithm.seal(bytes, key: key, counter: 0, associatedData: lengthField) { lengthField + Array($0) }
        }
        var opener = coordinatorOpener()
        opener.append(record)
        XCTAssertThrowsError(try opener.next()) { error in
            XCTAssertEqual((error as? WireError)?.code, .malformedField)
            XCTAssertTrue("\(error)".contains("sealed.length"), "\(error)")
        }
    }

    func testPlainHandshakeThenSealedFromTheNextFrameEvenWhenAlreadyBuffered() throws {
        // The worker's view: the plain authProof and the sealed welcome arrive in one read.
        let authProof = Message.authProof(AuthProof(proof: [1, 2, 3]))
        var sealer = Self.keys.sealer(for: .coordinator)
        let welcome = Message.done(Done(status: 0, message: "stand-in for welcome"))
        let stream = authProof.encoded(requestID: 1) + (try sealer.seal(welcome, requestID: 1))
        var opener = FrameOpener()
        opener.append(stream)
        let first = try XCTUnwrap(try opener.next())
        XCTAssertEqual(try Message.decode(frame: first), authProof)
        opener.startOpening(key: Self.keys.receivingKey(for: .worker))
        let second = try XCTUnwrap(try opener.next())
        XCTAssertEqual(try Message.decode(frame: second), welcome)
        XCTAssertNil(try opener.next())
    }

    func testCounterExhaustion() throws {
        var sealer = FrameSealer(key: Self.keys.sendingKey(for: .worker), algorithm: .protocolAlgorithm, firstCounter: .max - 1)
        let a = try sealer.seal(Self.messages[2], requestID: 0)
        let b = try sealer.seal(Self.messages[2], requestID: 0)
        XCTAssertNil(sealer.nextCounter)
        XCTAssertThrowsError(try sealer.seal(Self.messages[2], requestID: 0)) { XCTAssertTrue($0 is FrameSealer.Exhausted) }
        var opener = FrameOpener()
        opener.startOpening(key: Self.keys.receivingKey(for: .coordinator), firstCounter: .max - 1)
        opener.append(a + b + a)
        XCTAssertNotNil(try opener.next())
        XCTAssertNotNil(try opener.next())
        XCTAssertThrowsError(try opener.next()) { error in
            XCTAssertEqual((error as? WireError)?.code, .authenticationFailed)
            XCTAssertTrue("\(error)".contains("exhausted"), "\(error)")
        }
    }

    func testSealingInScratchMemoryGivesTheSameBytesAndKeepsOnlyModestBuffers() throws {
        var direct = Self.keys.sealer(for: .worker)
        var scratched = Self.keys.sealer(for: .worker)
        let scratch = SealingScratch()
        for (index, message) in Self.messages.enumerated() {
            let expected = try direct.seal(message, requestID: UInt32(index))
            let got = try scratched.seal(message, requestID: UInt32(index), using: scratch) { $0 }
            XCTAssertEqual(got, expected)
        }
        XCTAssertEqual(direct.nextCounter, scratched.nextCounter)
        // A frame above the retained size is sealed, and its buffers are given back.
        let huge = Message.weights(Weights(version: 1, epoch: 1, values: [Double](repeating: 0.5, count: (17 << 20) / 8)))
        let count = try scratched.seal(huge, requestID: 0, using: scratch) { $0.count }
        XCTAssertEqual(count, huge.encoded().count + Seal.overhead)
        XCTAssertLessThanOrEqual(scratch.plain.capacity, SealingScratch.retainedCapacity)
        XCTAssertLessThanOrEqual(scratch.sealed.capacity, SealingScratch.retainedCapacity)
    }

    func testLargeFrameRoundTrip() throws {
        let values = (0..<(1 << 20)).map { Double($0) * 0.5 }
        let message = Message.scores(ShardScores(epoch: 2, shard: 1, attempt: 0, rowStart: 0, rowCount: UInt32(values.count / 4),
                                                 columns: ["score", "cosine", "grad_norm", "success"], values: values))
        let frames = try sealed([message, Self.messages[0]])
        var opener = coordinatorOpener()
        let stream = frames.flatMap { $0 }
        var offset = 0
        var decoded: [Message] = []
        while offset < stream.count {
            let count = min(256 << 10, stream.count - offset)
            stream[offset..<(offset + count)].withUnsafeBytes { opener.append($0) }
            offset += count
            decoded += try Self.openAll(&opener)
        }
        XCTAssertEqual(decoded, [message, Self.messages[0]])
    }
}

func hex(_ bytes: [UInt8]) -> String {
    bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
}

extension Message {
    static func decode(frame bytes: [UInt8]) throws -> Message {
        var decoder = FrameDecoder()
        decoder.append(bytes)
        guard let frame = try decoder.next(), decoder.bufferedByteCount == 0 else {
            throw WireError(code: .malformedField, message: "not one whole frame")
        }
        return try Message.decode(frame)
    }
}

/// The byte examples docs/protocol.md section 8 shows; they were also computed by an independent
/// implementation (HKDF written out with Python's hmac, AES-GCM from the `cryptography` package).
enum SealExample {
    static let coordinatorToWorkerKey = "819231153306901f9e8034fe9ba4e1a3a3f9931314e5420df74b0906a7cfcf65"
    static let workerToCoordinatorKey = "e007a00e3d262c537e30446d46d589e8973b798307cfc7a139c9da5a249ce019"
    static let sealedDone = "00000023e1e1c2622a4944977cefa1eb1ab6338a0bf6cb05dcb5eb7c8282fa915b353cdd9ad728"
}
