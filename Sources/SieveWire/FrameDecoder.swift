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
/// - Once a header is valid, the buffer makes room for that whole frame at once, so a
///   large frame is copied into the buffer once instead of again at every doubling. The
///   room is address space the kernel backs only as the bytes arrive. A buffer sized
///   for the frames actually arriving is kept between them; a larger one is given back.
public struct FrameDecoder: Sendable {
    /// A valid header: the length field and the three fields after the magic.
    private struct Header {
        var length: Int
        var version: UInt8
        var type: UInt8
        var requestID: UInt32
    }

    private enum State {
        case waitingForHeader
        case waitingForFrame(Header)
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
    /// Buffer storage kept between frames when the buffer empties, at least.
    private static let retainedCapacity = 1 << 20
    /// The length field of the last frame whose header was read.
    private var lastFrameLength = 0

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
        guard let header = try nextCompleteHeader() else { return nil }
        let payloadStart = readIndex + Wire.headerLength
        let payloadEnd = readIndex + 4 + header.length
        let payload = Array(buffer[payloadStart..<payloadEnd])
        readIndex = payloadEnd
        return Frame(type: header.type, requestID: header.requestID, payload: payload, version: header.version)
    }

    /// The next complete frame's message and request id, decoded where the payload lies in the
    /// buffer (no copy of the payload), or `nil` if more bytes are needed.
    ///
    /// Framing errors throw as in ``next()`` and are final. A frame that is cut correctly but
    /// whose message does not decode (version, type, fields) is consumed and its error thrown,
    /// like ``Message/decode(_:)`` after ``next()``; the caller closes the connection either way.
    public mutating func nextMessage() throws -> (message: Message, requestID: UInt32)? {
        guard let header = try nextCompleteHeader() else { return nil }
        let payload = (readIndex + Wire.headerLength)..<(readIndex + 4 + header.length)
        readIndex = payload.upperBound
        let message = try buffer.withUnsafeBytes {
            try Message.decode(
                version: header.version, type: header.type, payload: UnsafeRawBufferPointer(rebasing: $0[payload]))
        }
        return (message, header.requestID)
    }

    /// The header of the next frame once the whole frame is buffered (the caller consumes it),
    /// or nil. Reads and checks a new header if none is pending, and makes room for its frame
    /// when the frame is not all there yet.
    @inline(__always)
    private mutating func nextCompleteHeader() throws -> Header? {
        if let failure { throw failure }
        switch state {
        case .waitingForHeader:
            let header: Header
            do {
                guard let read = try readHeader() else { return nil }
                header = read
            } catch let error as WireError {
                failure = error
                throw error
            }
            lastFrameLength = header.length
            guard bufferedByteCount >= 4 + header.length else {
                state = .waitingForFrame(header)
                makeRoom(forFrameOf: header.length)
                return nil
            }
            return header
        case .waitingForFrame(let header):
            guard bufferedByteCount >= 4 + header.length else { return nil }
            state = .waitingForHeader
            return header
        }
    }

    /// Checks whatever header bytes are buffered; returns the header once all 12 are there.
    @inline(__always)
    private func readHeader() throws -> Header? {
        let buffered = bufferedByteCount
        guard buffered >= Wire.headerLength else { return try checkPartialHeader() }
        return try buffer.withUnsafeBytes { raw in
            let start = readIndex
            let field = UInt32(bigEndian: raw.loadUnaligned(fromByteOffset: start, as: UInt32.self))
            let magic = UInt16(bigEndian: raw.loadUnaligned(fromByteOffset: start + 4, as: UInt16.self))
            try checkLengthField(field)
            guard magic == Wire.magic else { throw WireError.badMagic(magic) }
            return Header(
                length: Int(field), version: raw[start + 6], type: raw[start + 7],
                requestID: UInt32(bigEndian: raw.loadUnaligned(fromByteOffset: start + 8, as: UInt32.self)))
        }
    }

    /// Fewer than 12 header bytes: checks the length field once its 4 bytes are there and the
    /// magic once its 2 are, so a bad header fails before the rest of it arrives.
    private func checkPartialHeader() throws -> Header? {
        guard bufferedByteCount >= 4 else { return nil }
        try checkLengthField(load(UInt32.self, at: 0))
        guard bufferedByteCount >= 6 else { return nil }
        let magic = load(UInt16.self, at: 4)
        guard magic == Wire.magic else { throw WireError.badMagic(magic) }
        return nil
    }

    @inline(__always)
    private func checkLengthField(_ field: UInt32) throws {
        guard UInt64(field) <= UInt64(maximumFrameLength) else {
            throw WireError.frameTooLarge(length: UInt64(field), maximum: maximumFrameLength)
        }
        guard Int(field) >= Wire.headerRestLength else { throw WireError.frameTooShort(length: Int(field)) }
    }

    /// A valid header announced a frame of `length` (+ 4) bytes: if the buffer cannot hold it,
    /// move what is unread to the front and reserve room for the whole frame now.
    private mutating func makeRoom(forFrameOf length: Int) {
        guard readIndex + 4 + length > buffer.capacity else { return }
        if readIndex > 0 {
            buffer.removeSubrange(0..<readIndex)
            readIndex = 0
        }
        buffer.reserveCapacity(4 + length)
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
            let keep = max(Self.retainedCapacity, 2 * (4 + lastFrameLength))
            buffer.removeAll(keepingCapacity: buffer.capacity <= keep)
            readIndex = 0
        } else if readIndex >= Self.compactionThreshold && readIndex * 2 >= buffer.count {
            buffer.removeSubrange(0..<readIndex)
            readIndex = 0
        }
    }
}
