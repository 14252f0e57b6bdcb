/// Cuts a byte stream into ``Frame``s, however the stream was split into reads.
///
/// ```
///  0       4     6   7   8               12
///  +-------+-----+---+---+---------------+-----------------+
///  |length | "GS"|ver|typ|  request id   | payload ...     |
///  |  u32  | u16 |u8 |u8 |     u32       | length - 8 bytes|
///  +-------+-----+---+---+---------------+-----------------+
/// ```
///
/// Feed it bytes with `append` as they arrive, then call ``next()`` until it
/// returns `nil`. It has two states:
///
/// - **waiting for header**: fewer than 12 bytes of the next frame are buffered.
///   The length field is checked as soon as its 4 bytes are there, and the magic
///   as soon as bytes 4 and 5 are, so a hostile or confused peer is caught
///   before any memory is set aside for its frame.
/// - **waiting for frame**: the header is read and valid; the decoder waits
///   until all `length - 8` payload bytes are buffered, then yields the frame.
///
/// What a caller may rely on:
/// - A length field above `maximumFrameLength` throws
///   ``WireError/Code/frameTooLarge``; below 8 throws ``WireError/Code/frameTooShort``;
///   a magic other than "GS" throws ``WireError/Code/badMagic``.
/// - The version and type bytes are not checked here; ``Message/decode(_:)`` does that.
/// - An incomplete frame is not an error: ``next()`` returns `nil` until it is complete.
/// - After an error the stream cannot be resynchronised: every later ``next()``
///   throws the same error, and the connection should be closed.
/// - Work is linear in the bytes fed: consumed bytes are dropped from the buffer
///   in bulk now and then, never one frame at a time from the front.
public struct FrameDecoder: Sendable {
    private enum State {
        case waitingForHeader
        case waitingForFrame(length: Int, version: UInt8, type: UInt8, requestID: UInt32)
    }

    /// The largest length field accepted (the length field counts 8 + payload size).
    public let maximumFrameLength: Int
    private var buffer: [UInt8] = []
    /// Index in `buffer` of the first byte not yet consumed.
    private var readIndex = 0
    private var state = State.waitingForHeader
    private var failure: WireError?

    /// Bytes consumed from the front before the decoder considers compacting.
    private static let compactionThreshold = 4096
    /// Buffer storage kept between frames when the buffer empties.
    private static let retainedCapacity = 1 << 20

    /// `maximumFrameLength` bounds the length field (8 + payload size); it must be at least 8.
    public init(maximumFrameLength: Int = Wire.defaultMaximumFrameLength) {
        precondition(maximumFrameLength >= Wire.headerRestLength, "maximumFrameLength must be at least 8")
        self.maximumFrameLength = maximumFrameLength
    }

    /// Bytes received but not yet returned as part of a frame.
    public var bufferedByteCount: Int { buffer.count - readIndex }

    /// Adds received bytes. After an error they are dropped: the stream is dead.
    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        guard failure == nil else { return }
        compactIfWorthwhile()
        buffer.append(contentsOf: bytes)
    }

    /// Adds received bytes. After an error they are dropped: the stream is dead.
    public mutating func append(_ bytes: [UInt8]) {
        guard failure == nil else { return }
        compactIfWorthwhile()
        buffer.append(contentsOf: bytes)
    }

    /// The next complete frame, or `nil` if more bytes are needed.
    ///
    /// Throws a ``WireError`` if the buffered bytes cannot start a valid frame;
    /// once it has thrown, it throws the same error on every call.
    public mutating func next() throws -> Frame? {
        if let failure { throw failure }
        do {
            if case .waitingForHeader = state {
                guard let header = try readHeader() else { return nil }
                state = header
            }
            return takeFrame()
        } catch let error as WireError {
            failure = error
            throw error
        }
    }

    /// Checks whatever header bytes are buffered; returns the next state once all 12 are.
    private func readHeader() throws -> State? {
        guard bufferedByteCount >= 4 else { return nil }
        let field = load(UInt32.self, at: 0)
        guard UInt64(field) <= UInt64(maximumFrameLength) else {
            throw WireError.frameTooLarge(length: UInt64(field), maximum: maximumFrameLength)
        }
        let length = Int(field)
        guard length >= Wire.headerRestLength else { throw WireError.frameTooShort(length: length) }
        guard bufferedByteCount >= 6 else { return nil }
        let magic = load(UInt16.self, at: 4)
        guard magic == Wire.magic else { throw WireError.badMagic(magic) }
        guard bufferedByteCount >= Wire.headerLength else { return nil }
        return .waitingForFrame(
            length: length, version: load(UInt8.self, at: 6), type: load(UInt8.self, at: 7),
            requestID: load(UInt32.self, at: 8))
    }

    /// Returns the frame whose header was read if its payload is complete, and consumes it.
    private mutating func takeFrame() -> Frame? {
        guard case let .waitingForFrame(length, version, type, requestID) = state,
            bufferedByteCount >= 4 + length
        else { return nil }
        let payloadStart = readIndex + Wire.headerLength
        let payloadEnd = readIndex + 4 + length
        let payload = Array(buffer[payloadStart..<payloadEnd])
        readIndex = payloadEnd
        state = .waitingForHeader
        return Frame(type: type, requestID: requestID, payload: payload, version: version)
    }

    /// Reads a big-endian integer at `offset` bytes past the read index.
    private func load<T: FixedWidthInteger>(_: T.Type, at offset: Int) -> T {
        let raw = buffer.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: readIndex + offset, as: T.self) }
        return T(bigEndian: raw)
    }

    /// Drops consumed bytes when that is free (all consumed) or when they are at
    /// least half the buffer, so each byte is moved at most once on average.
    /// Storage of up to 1 MiB is kept for reuse; a larger one, left by a large
    /// frame, is given back.
    private mutating func compactIfWorthwhile() {
        if readIndex == buffer.count {
            buffer.removeAll(keepingCapacity: buffer.capacity <= Self.retainedCapacity)
            readIndex = 0
        } else if readIndex >= Self.compactionThreshold && readIndex * 2 >= buffer.count {
            buffer.removeSubrange(0..<readIndex)
            readIndex = 0
        }
    }
}
