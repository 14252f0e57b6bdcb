import Crypto
import SieveWire

/// Seals the frames one side of a connection sends, in order: frame number k (from 0) is sealed
/// with the nonce of counter k, so the peer's ``FrameOpener`` accepts each one once and only in
/// the order they were sealed.
///
/// Not `Sendable`: one connection's sender owns it (on the loop thread).
public struct FrameSealer {
    private let key: SymmetricKey
    public let algorithm: SealAlgorithm
    /// The counter of the next frame; nil once every counter has been used.
    public private(set) var nextCounter: UInt64?

    /// Thrown when every one of the 2^64 counters has sealed a frame: a nonce must never be
    /// used twice under one key, so the connection has to be closed (a new one has new keys).
    public struct Exhausted: Error, CustomStringConvertible, Sendable {
        public var description: String { "the sealing counter is exhausted (2^64 frames); the connection must be closed" }
    }

    /// `key`: 32 bytes (``SessionKeys/sendingKey(for:)``).
    public init(key: [UInt8], algorithm: SealAlgorithm = .protocolAlgorithm) {
        self.init(key: key, algorithm: algorithm, firstCounter: 0)
    }

    /// A sealer whose first frame uses `firstCounter`, for tests of the counter's end.
    init(key: [UInt8], algorithm: SealAlgorithm, firstCounter: UInt64) {
        precondition(key.count == 32, "a sealing key has 32 bytes")
        self.key = SymmetricKey(data: key)
        self.algorithm = algorithm
        nextCounter = firstCounter
    }

    /// The sealed frame of one whole plain frame (its length field, header and payload):
    /// `u32 n + 16`, then the n bytes encrypted, then the tag.
    ///
    /// `frame` must be exactly one frame (its length field counts the rest of it); anything
    /// else is a programming error and traps.
    public mutating func seal(_ frame: UnsafeRawBufferPointer) throws -> [UInt8] {
        try seal(frame) { lengthField, sealed in
            [UInt8](unsafeUninitializedCapacity: Seal.lengthFieldSize + sealed.count) { buffer, count in
                let raw = UnsafeMutableRawBufferPointer(buffer)
                raw.copyBytes(from: lengthField)
                UnsafeMutableRawBufferPointer(rebasing: raw[Seal.lengthFieldSize...]).copyMemory(from: sealed)
                count = Seal.lengthFieldSize + sealed.count
            }
        }
    }

    /// Seals `frame` and calls `body` with the sealed length field and the ciphertext and tag.
    private mutating func seal<R>(_ frame: UnsafeRawBufferPointer, _ body: ([UInt8], UnsafeRawBufferPointer) -> R) throws -> R {
        precondition(frame.count >= Wire.headerLength, "a plain frame has at least a 12-byte header")
        let length = Int(UInt32(bigEndian: frame.loadUnaligned(as: UInt32.self)))
        precondition(length == frame.count - 4, "the bytes to seal are not one whole frame")
        precondition(frame.count <= Int(UInt32.max) - Seal.tagLength, "frame too large to seal")
        guard let counter = nextCounter else { throw Exhausted() }
        nextCounter = counter == .max ? nil : counter + 1
        let lengthField = Seal.lengthField(frame.count + Seal.tagLength)
        return algorithm.seal(frame, key: key, counter: counter, associatedData: lengthField) { body(lengthField, $0) }
    }

    /// Seals `message`'s frame and calls `body` with the sealed frame, which lies in `scratch`
    /// (and stays valid until the next use of `scratch`): the frame is encoded into memory the
    /// scratch keeps, and sealed into memory it keeps. `body` should not keep the array (a
    /// write that copies what the kernel does not take at once is what it is for).
    public mutating func seal<R>(
        _ message: Message, requestID: UInt32, using scratch: SealingScratch, _ body: ([UInt8]) -> R
    ) throws -> R {
        scratch.plain.removeAll(keepingCapacity: true)
        message.encode(requestID: requestID, appendingTo: &scratch.plain)
        try scratch.plain.withUnsafeBytes { plain in
            try seal(plain) { lengthField, sealed in
                scratch.sealed.removeAll(keepingCapacity: true)
                scratch.sealed.reserveCapacity(lengthField.count + sealed.count)
                scratch.sealed.append(contentsOf: lengthField)
                scratch.sealed.append(contentsOf: sealed)
            }
        }
        defer { scratch.trim() }
        return body(scratch.sealed)
    }

    /// ``seal(_:)`` of the bytes of an array.
    public mutating func seal(_ frame: [UInt8]) throws -> [UInt8] {
        try frame.withUnsafeBytes { try seal($0) }
    }

    /// ``seal(_:)`` of a message's frame.
    public mutating func seal(_ message: Message, requestID: UInt32) throws -> [UInt8] {
        try seal(message.encoded(requestID: requestID))
    }
}

/// Memory a sender reuses from one sealed frame to the next: the frame encoded, and the frame
/// sealed. A fresh buffer of megabytes costs the kernel a page fault per 4 KiB on first touch,
/// which costs more than sealing the bytes, so a sender that keeps these between frames seals
/// large frames at about twice the rate (docs/benchmarks.md, "Sealed frames").
///
/// One per thread that sends, shared by the connections it sends on (the coordinator sends to
/// every worker from one loop): it holds about two of the largest recent frames, not two per
/// connection. Buffers above ``retainedCapacity`` are given back after use. Not `Sendable`.
public final class SealingScratch {
    var plain: [UInt8] = []
    var sealed: [UInt8] = []

    /// The largest buffer kept between frames (16 MiB; an 8 MiB `scores` frame fits).
    public static let retainedCapacity = 16 << 20

    public init() {}

    func trim() {
        if plain.capacity > Self.retainedCapacity { plain = [] }
        if sealed.capacity > Self.retainedCapacity { sealed = [] }
    }
}
