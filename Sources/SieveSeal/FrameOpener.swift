import Crypto
import Foundation
import SieveWire

/// The receiving side of a connection that may be sealed: cuts the byte stream into whole plain
/// frames, however it was split into reads, and hands them over one at a time, for a
/// `FrameDecoder` to decode.
///
/// It starts in the **plain** phase (the handshake): frames are cut by their length field and
/// passed on as they are. ``startOpening(key:)`` switches it to the **sealed** phase between two
/// frames: every later record is a sealed frame (docs/protocol.md, section 8), opened with the
/// key and the next counter, and its plaintext, one whole plain frame, is handed over. Since
/// frames come out one at a time, the switch happens exactly after the frame the caller was
/// handed last, whatever else has already been read.
///
/// Rejections (each a `WireError`; after one, every later call throws it again, and the
/// connection must be closed):
/// - a length field above the maximum (`frameTooLarge`) or below the minimum (`frameTooShort`),
///   as soon as its four bytes are there, before room is made for the rest;
/// - a sealed frame that fails authentication (`authenticationFailed`): altered in any byte,
///   replayed, out of order, dropped before it (its successor then has the wrong counter),
///   truncated into another frame, or sealed with another key, which are all the same thing to
///   the AEAD: the tag does not match the counter this side expects next;
/// - a sealed frame whose plaintext is not exactly one plain frame (`malformedField`,
///   `sealed.length`): only a peer holding the key can send that;
/// - a sealed frame after the 2^64th (`authenticationFailed`: the counter is exhausted).
///
/// A copy shares its buffer until one of the two changes it (copy-on-write).
public struct FrameOpener {
    /// What the next record is.
    enum Phase {
        case plain
        case sealed(key: SymmetricKey, next: UInt64?)
    }

    /// Memory for buffered bytes. `@unchecked Sendable` is not claimed: the opener is not
    /// `Sendable`, one connection's reader owns it.
    final class Storage {
        let base: UnsafeMutableRawPointer
        let capacity: Int
        init(capacity: Int) {
            self.capacity = capacity
            base = UnsafeMutableRawPointer.allocate(byteCount: max(capacity, 1), alignment: 16)
        }
        deinit { base.deallocate() }
    }

    /// The largest plain frame's length field accepted (as `FrameDecoder`'s).
    public let maximumFrameLength: Int
    public let algorithm: SealAlgorithm
    var phase = Phase.plain
    private var storage = Storage(capacity: 0)
    private var readIndex = 0
    private var writeIndex = 0
    private var failure: WireError?
    /// Sealed frames opened so far (for messages).
    public private(set) var openedCount: UInt64 = 0

    /// The least room ``spaceForNextRead()`` offers.
    private static let readSpace = 64 << 10
    /// Storage kept between records when the buffer empties.
    private static let retainedCapacity = 1 << 20

    public init(maximumFrameLength: Int = Wire.defaultMaximumFrameLength, algorithm: SealAlgorithm = .protocolAlgorithm) {
        precondition(maximumFrameLength >= 8, "maximumFrameLength must be at least 8")
        self.maximumFrameLength = maximumFrameLength
        self.algorithm = algorithm
    }

    /// Whether records are sealed from now on.
    public var isSealed: Bool {
        if case .sealed = phase { return true }
        return false
    }

    /// From the next record on, every record is a sealed frame opened with `key` (32 bytes,
    /// ``SessionKeys/receivingKey(for:)``), the first with counter 0.
    public mutating func startOpening(key: [UInt8]) {
        startOpening(key: key, firstCounter: 0)
    }

    /// As ``startOpening(key:)``, the first record expected with `firstCounter` (tests of the
    /// counter's end).
    mutating func startOpening(key: [UInt8], firstCounter: UInt64) {
        precondition(key.count == 32, "an opening key has 32 bytes")
        precondition(!isSealed, "the connection is sealed already")
        phase = .sealed(key: SymmetricKey(data: key), next: firstCounter)
    }

    /// Bytes buffered and not yet handed over.
    public var bufferedCount: Int { writeIndex - readIndex }

    /// Free room after the buffered bytes for the next read; `append` of bytes read there
    /// records them without copying. At least 64 KiB, or the rest of a record already announced.
    public mutating func spaceForNextRead() -> UnsafeMutableRawBufferPointer {
        var wanted = Self.readSpace
        if let total = announcedRecordSize(), total > bufferedCount { wanted = max(wanted, total - bufferedCount) }
        ensureFreeRoom(wanted)
        return UnsafeMutableRawBufferPointer(start: storage.base + writeIndex, count: storage.capacity - writeIndex)
    }

    /// Takes bytes from the peer: read into ``spaceForNextRead()`` (then only recorded) or
    /// anywhere else (then copied).
    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        guard !bytes.isEmpty else { return }
        if storage.capacity - writeIndex >= bytes.count, bytes.baseAddress! == UnsafeRawPointer(storage.base + writeIndex),
            isKnownUniquelyReferenced(&storage)
        {
            writeIndex += bytes.count
            return
        }
        ensureFreeRoom(bytes.count)
        (storage.base + writeIndex).copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
        writeIndex += bytes.count
    }

    /// ``append(_:)`` of an array's bytes.
    public mutating func append(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { append($0) }
    }

    /// Calls `body` with the next whole plain frame (the bytes are valid during the call only)
    /// and returns its result, or returns nil when the next record has not all arrived.
    public mutating func withNextFrame<R>(_ body: (UnsafeRawBufferPointer) throws -> R) throws -> R? {
        if let failure { throw failure }
        do {
            guard let total = try checkedRecordSize(), bufferedCount >= total else { return nil }
            let record = UnsafeRawBufferPointer(start: storage.base + readIndex, count: total)
            switch phase {
            case .plain:
                readIndex += total
                defer { compactIfEmpty() }
                return try body(record)
            case .sealed(let key, let next):
                guard let counter = next else {
                    throw WireError.authenticationFailed(
                        "sealed frame after the last of 2^64: the counter is exhausted; the connection must be closed")
                }
                let lengthField = Array(record[0..<Seal.lengthFieldSize])
                guard
                    let plain = algorithm.open(
                        UnsafeRawBufferPointer(rebasing: record[Seal.lengthFieldSize...]), key: key, counter: counter,
                        associatedData: lengthField)
                else {
                    throw WireError.authenticationFailed(
                        "sealed frame number \(counter) failed authentication: it was altered, replayed, reordered "
                            + "or sealed with another key")
                }
                readIndex += total
                phase = .sealed(key: key, next: counter == .max ? nil : counter + 1)
                openedCount += 1
                defer { compactIfEmpty() }
                return try plain.withUnsafeBytes { frame in
                    let inner = Int(UInt32(bigEndian: frame.loadUnaligned(as: UInt32.self)))
                    guard inner == frame.count - 4 else {
                        throw WireError.malformedField(
                            "sealed.length", "the sealed plain frame's length field is \(inner), not the \(frame.count - 4) bytes sealed after it")
                    }
                    return try body(frame)
                }
            }
        } catch let error as WireError {
            failure = error
            throw error
        }
    }

    /// The next whole plain frame, in an array of its own, or nil when it has not all arrived.
    public mutating func next() throws -> [UInt8]? {
        try withNextFrame { Array($0) }
    }

    /// The size of the next record (length field included) once its length field is there and
    /// valid; nil before. Throws when the length field is out of bounds.
    private func checkedRecordSize() throws -> Int? {
        guard bufferedCount >= 4 else { return nil }
        let field = UInt64(UInt32(bigEndian: UnsafeRawPointer(storage.base + readIndex).loadUnaligned(as: UInt32.self)))
        switch phase {
        case .plain:
            guard field <= UInt64(maximumFrameLength) else {
                throw WireError.frameTooLarge(length: field, maximum: maximumFrameLength)
            }
            guard field >= 8 else { throw WireError.frameTooShort(length: Int(field)) }
        case .sealed:
            let maximum = Seal.maximumSealedLength(forMaximumFrameLength: maximumFrameLength)
            guard field <= UInt64(maximum) else {
                throw WireError(
                    code: .frameTooLarge,
                    message: "sealed frame too large: length field \(field) exceeds the maximum of \(maximum) bytes")
            }
            guard field >= UInt64(Seal.minimumSealedLength) else {
                throw WireError(
                    code: .frameTooShort,
                    message: "sealed frame too short: length field \(field) is below the \(Seal.minimumSealedLength) bytes "
                        + "of a tag and the smallest frame")
            }
        }
        return 4 + Int(field)
    }

    /// The next record's size if its length field has arrived (unchecked; for sizing reads).
    private func announcedRecordSize() -> Int? {
        guard failure == nil, let size = try? checkedRecordSize() else { return nil }
        return size
    }

    /// Makes room for `count` more bytes after the buffered ones, in storage this opener alone
    /// holds: moves the unread bytes to the front when that frees enough and they are at most
    /// half the storage, else moves them to storage at least twice as large.
    private mutating func ensureFreeRoom(_ count: Int) {
        let unique = isKnownUniquelyReferenced(&storage)
        if unique && storage.capacity - writeIndex >= count { return }
        let unread = bufferedCount
        if unique && unread + count <= storage.capacity && 2 * unread <= storage.capacity {
            if unread > 0 && readIndex > 0 { storage.base.copyMemory(from: storage.base + readIndex, byteCount: unread) }
        } else {
            let new = Storage(capacity: max(unread + count, 2 * storage.capacity, 4096))
            if unread > 0 { new.base.copyMemory(from: storage.base + readIndex, byteCount: unread) }
            storage = new
        }
        readIndex = 0
        writeIndex = unread
    }

    /// Once everything buffered is handed over: start from the front again, and give back
    /// storage larger than what is worth keeping.
    private mutating func compactIfEmpty() {
        guard readIndex == writeIndex else { return }
        readIndex = 0
        writeIndex = 0
        if storage.capacity > Self.retainedCapacity { storage = Storage(capacity: 0) }
    }
}
