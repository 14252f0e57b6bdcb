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
/// - A reader may receive straight into the buffer: ``spaceForNextRead()`` gives the free room
///   after the buffered bytes, and `append` of bytes that were read there records them
///   without copying (SieveUV's `TCPConnection.readSpace` does this). A large frame is then
///   in the buffer without ever having been copied in user space.
/// - With reads made that way, the large arrays of a frame still arriving (an `f64` or `u64`
///   array of at least 64 KiB, such as the values of a `scores` frame) are received straight
///   into a buffer of each array's own: ``spaceForNextRead()`` offers it while the array's
///   bytes arrive, and the complete array is copied once into the decoded message's array
///   (``InPlaceArrays`` explains how). The messages, frames and errors are the same as
///   without it.
/// - It is a value: a copy shares the buffer until one of the two changes it.
public struct FrameDecoder: Sendable {
    /// A valid header: the length field and the three fields after the magic.
    @usableFromInline
    struct Header: Sendable {
        var length: Int
        var version: UInt8
        var type: UInt8
        var requestID: UInt32
    }

    @usableFromInline
    enum State: Sendable {
        case waitingForHeader
        case waitingForFrame(Header)
    }

    /// The buffer's memory; shared by copies of a decoder until one of them writes (see `unique()`).
    ///
    /// `@unchecked Sendable` (a `FrameDecoder` is a `Sendable` value), and why that holds: the
    /// properties are `let`s; the memory is written only by a decoder that holds the one
    /// reference (copy-on-write: a decoder checks `isKnownUniquelyReferenced` and reallocates
    /// before writing, as `Array` does with its buffer), so a copy on another thread only reads.
    @usableFromInline
    final class Storage: @unchecked Sendable {
        @usableFromInline let base: UnsafeMutableRawPointer?
        let capacity: Int

        init(capacity: Int) {
            self.capacity = capacity
            base = capacity > 0 ? UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16) : nil
        }

        deinit { base?.deallocate() }
    }

    /// The largest length field accepted (the length field counts 8 + payload size).
    public let maximumFrameLength: Int
    // The state below is internal rather than private only so that the inlinable decoding loop
    // (`append(_:forEachMessage:)`) can reach it from other modules; it is written only in this
    // file, and only by the decoder's own methods.
    @usableFromInline var storage = Storage(capacity: 0)
    /// Offset in the storage of the first byte not yet consumed.
    @usableFromInline var readIndex = 0
    /// Offset in the storage just past the last byte received.
    @usableFromInline var writeIndex = 0
    @usableFromInline var state = State.waitingForHeader
    @usableFromInline var failure: WireError?

    /// Bytes consumed from the front before the decoder considers compacting.
    private static let compactionThreshold = 4096
    /// Buffer storage kept between frames when the buffer empties, at least.
    private static let retainedCapacity = 1 << 20
    /// The least room ``spaceForNextRead()`` offers.
    private static let readSpace = 64 << 10
    /// The least room it offers while reads fill all the room they are given: the peer is ahead
    /// of this reader, and larger reads take the same bytes in fewer system calls (SieveUV's
    /// `TCPConnection` reads at most 256 KiB at once).
    private static let streamingReadSpace = 256 << 10
    /// The room the last ``spaceForNextRead()`` offered, and whether the read made there filled it.
    private var offeredRoom = 0
    private var readsFillRoom = false
    /// The room it offers for the first read after a large frame.
    private static let readSpaceAfterLargeFrame = 4096
    /// The length field of the last frame whose header was read.
    @usableFromInline var lastFrameLength = 0
    /// The arrays of the frame being received that reads fill in place, if any; shared by
    /// copies of a decoder until one of them writes (see `uniqueInPlaceArrays()`).
    @usableFromInline var inPlace: InPlaceArrays?
    /// Arrays of at least this many bytes, in a frame not yet complete, are received in place.
    private let minimumInPlaceArrayBytes: Int
    /// How arrays are converted (see ``WireArrays``); `false` only in tests.
    @usableFromInline let hostIsLittleEndian: Bool

    /// Arrays of at least 64 KiB are received in place (smaller ones cost less to copy).
    static let defaultMinimumInPlaceArrayBytes = 64 << 10

    /// `maximumFrameLength` bounds the length field (8 + payload size); it must be at least 8.
    public init(maximumFrameLength: Int = Wire.defaultMaximumFrameLength) {
        self.init(
            maximumFrameLength: maximumFrameLength, minimumInPlaceArrayBytes: Self.defaultMinimumInPlaceArrayBytes,
            hostIsLittleEndian: WireArrays.hostIsLittleEndian)
    }

    /// The decoder with a smaller in-place threshold or the big-endian host's array path, for tests.
    init(maximumFrameLength: Int = Wire.defaultMaximumFrameLength, minimumInPlaceArrayBytes: Int, hostIsLittleEndian: Bool) {
        precondition(maximumFrameLength >= Wire.headerRestLength, "maximumFrameLength must be at least 8")
        precondition(minimumInPlaceArrayBytes >= 8, "an in-place array holds at least one element")
        self.maximumFrameLength = maximumFrameLength
        self.minimumInPlaceArrayBytes = minimumInPlaceArrayBytes
        self.hostIsLittleEndian = hostIsLittleEndian
    }

    /// Bytes received but not yet returned as part of a frame.
    public var bufferedByteCount: Int { unread + (inPlace?.activeEntry?.filled ?? 0) }

    /// Bytes in the buffer not yet returned (a completed in-place array counts as its hole).
    /// (0 <= readIndex <= writeIndex <= capacity, and a frame is at most 4 GiB: the index
    /// arithmetic below cannot overflow, and wraps instead of checking.)
    private var unread: Int { writeIndex &- readIndex }

    /// Adds received bytes. After an error they are dropped: the stream is dead.
    ///
    /// Bytes that lie exactly where the last ``spaceForNextRead()`` pointed (a read made
    /// straight into the buffer, with no mutating call in between) are recorded, not copied.
    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        guard failure == nil, let source = bytes.baseAddress, !bytes.isEmpty else { return }
        if inPlace?.active != nil { return appendToInPlaceArray(bytes) }
        if let base = storage.base, source == UnsafeRawPointer(base + writeIndex),
            bytes.count <= storage.capacity - writeIndex, isKnownUniquelyReferenced(&storage)
        {
            readsFillRoom = bytes.count == offeredRoom
            writeIndex += bytes.count
            return
        }
        compactIfWorthwhile()
        ensureFreeRoom(bytes.count)
        storage.base!.advanced(by: writeIndex).copyMemory(from: source, byteCount: bytes.count)
        writeIndex += bytes.count
    }

    /// Adds received bytes. After an error they are dropped: the stream is dead.
    public mutating func append(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { append($0) }
    }

    /// The free room after the buffered bytes (at least 64 KiB, 256 KiB while every read fills the
    /// room it was given, or at least the rest of a frame
    /// whose length has arrived; 4 KiB for the first read after a frame of at least 64 KiB; or
    /// the memory of an array being received in place), for a read straight into the buffer. Pass what was read there
    /// to ``append(_:)-(UnsafeRawBufferPointer)`` before any other mutating call: it is then
    /// recorded without a copy. The pointer is valid until the next mutating call. Empty once
    /// the decoder has failed.
    public mutating func spaceForNextRead() -> UnsafeMutableRawBufferPointer {
        guard failure == nil else { return UnsafeMutableRawBufferPointer(start: nil, count: 0) }
        if let space = inPlaceSpace() { return space }
        compactIfWorthwhile()
        ensureFreeRoom(wantedReadRoom)
        var room = storage.capacity - writeIndex
        if unread == 0 && lastFrameLength >= minimumInPlaceArrayBytes {
            // After a large frame, the next one may be large too: read its header and first
            // fields with a short read, so that a large array of it is then read in place but
            // for the few bytes of it in that read, instead of up to 256 KiB of it being read
            // into this buffer and moved.
            room = min(room, Self.readSpaceAfterLargeFrame)
        }
        offeredRoom = room
        return UnsafeMutableRawBufferPointer(start: storage.base! + writeIndex, count: room)
    }

    /// 64 KiB (256 KiB while reads fill the room they get), or less when the rest of a large
    /// frame (64 KiB or more) whose length has arrived is shorter: the room for that frame is
    /// already there (`makeRoom`), and asking for more would move the whole frame into storage
    /// twice its size for nothing.
    private var wantedReadRoom: Int {
        let room = readsFillRoom ? Self.streamingReadSpace : Self.readSpace
        guard unread >= 4 else { return room }
        let length = Int(load(UInt32.self, at: 0))
        let rest = readIndex + 4 + length - writeIndex
        return rest > 0 && length >= Self.readSpace ? min(room, rest) : room
    }

    /// The next complete frame, or `nil` if more bytes are needed.
    ///
    /// Throws a ``WireError`` if the buffered bytes cannot start a valid frame;
    /// once it has thrown, it throws the same error on every call.
    public mutating func next() throws -> Frame? {
        guard let header = try nextCompleteHeader() else { return nil }
        let source = UnsafeRawBufferPointer(
            start: storage.base! + readIndex + Wire.headerLength, count: header.length - Wire.headerRestLength)
        readIndex += 4 + header.length
        let payload: [UInt8]
        if let arrays = takeInPlaceArrays() {
            // The holes of arrays received in place are filled from the arrays.
            payload = [UInt8](unsafeUninitializedCapacity: source.count) { buffer, initialized in
                let target = UnsafeMutableRawBufferPointer(buffer)
                target.copyMemory(from: source)
                for entry in arrays.entries {
                    arrays.copyWireBytes(of: entry, to: target.baseAddress! + entry.offset, hostIsLittleEndian: hostIsLittleEndian)
                }
                initialized = source.count
            }
        } else {
            payload = Array(source)
        }
        return Frame(type: header.type, requestID: header.requestID, payload: payload, version: header.version)
    }

    /// The next complete frame's message and request id, decoded where the payload lies in the
    /// buffer (no copy of the payload), or `nil` if more bytes are needed.
    ///
    /// Framing errors throw as in ``next()`` and are final. A frame that is cut correctly but
    /// whose message does not decode (version, type, fields) is consumed and its error thrown,
    /// like ``Message/decode(_:)`` after ``next()``; the caller closes the connection either way.
    public mutating func nextMessage() throws -> (message: Message, requestID: UInt32)? {
        var requestID: UInt32 = 0
        guard let message = try nextMessage(requestID: &requestID) else { return nil }
        return (message, requestID)
    }

    /// ``nextMessage()`` with the request id passed back through `requestID` (an optional
    /// `Message` is handled inline, where an optional tuple goes through runtime witnesses).
    @inline(__always)
    private mutating func nextMessage(requestID: inout UInt32) throws -> Message? {
        guard let header = try nextCompleteHeader() else { return nil }
        let payload = UnsafeRawBufferPointer(
            start: storage.base! + readIndex + Wire.headerLength, count: header.length - Wire.headerRestLength)
        readIndex += 4 + header.length
        requestID = header.requestID
        return try Message.decode(
            version: header.version, type: header.type, payload: payload, hostIsLittleEndian: hostIsLittleEndian,
            inPlace: takeInPlaceArrays())
    }

    /// Appends `bytes`, then hands every complete message to `deliver`, in order, until it
    /// returns false (what is left stays buffered for the next call). The same as `append`
    /// followed by ``nextMessage()`` until it returns nil, with the same errors, in one call: a
    /// caller that keeps its decoder in a class or a closure pays one exclusivity check per
    /// read instead of one per frame.
    ///
    /// Inlinable: where it is called with a closure literal, the compiler makes a copy of the
    /// loop for that closure (frame checks, the type switch, the closure's body in one piece of
    /// code, no call through a pointer per frame). Small messages of fixed-size fields (`assign`
    /// is forced inline) are read right there; strings, arrays and errors are calls out of line,
    /// and so are the uncommon cases of the stream (``deliverRemainingFrames(_:)``).
    @inlinable
    public mutating func append(
        _ bytes: UnsafeRawBufferPointer, forEachMessage deliver: (Message, UInt32) throws -> Bool
    ) throws {
        append(bytes)
        guard try deliverWholeFrames(deliver) else { return }
        try deliverRemainingFrames(deliver)
    }

    /// The general loop of `append(_:forEachMessage:)` after the straight one: a frame that
    /// starts a new header check, one awaited, arrays received in place, errors.
    @usableFromInline
    mutating func deliverRemainingFrames(_ deliver: (Message, UInt32) throws -> Bool) throws {
        while let header = try nextCompleteHeader() {
            // A complete frame is buffered, so there is storage.
            let payload = UnsafeRawBufferPointer(
                start: storage.base.unsafelyUnwrapped + (readIndex &+ Wire.headerLength),
                count: header.length &- Wire.headerRestLength)
            readIndex &+= 4 &+ header.length
            let requestID = header.requestID
            let keepGoing: Bool
            if _fastPath(inPlace == nil) {
                keepGoing = try Message.withDecoded(
                    version: header.version, type: header.type, payload: payload, hostIsLittleEndian: hostIsLittleEndian
                ) { try deliver($0, requestID) }
            } else {
                keepGoing = try deliver(
                    Message.decode(
                        version: header.version, type: header.type, payload: payload,
                        hostIsLittleEndian: hostIsLittleEndian, inPlace: takeInPlaceArrays()),
                    requestID)
            }
            guard keepGoing else { return }
        }
    }

    /// The common case of `append(_:forEachMessage:)`, in one straight loop: while a whole,
    /// well-formed frame without arrays received in place is buffered, decode it and hand it
    /// over. Anything else (an incomplete or bad header, a frame awaited, in-place arrays, a
    /// failed stream) is left to the general loop, which checks and reports it. Returns false
    /// when `deliver` asked to stop.
    @inlinable @inline(__always)
    mutating func deliverWholeFrames(_ deliver: (Message, UInt32) throws -> Bool) throws -> Bool {
        guard failure == nil, case .waitingForHeader = state, inPlace == nil, let base = storage.base else { return true }
        let end = writeIndex
        let maximum = UInt32(truncatingIfNeeded: min(maximumFrameLength, Int(UInt32.max)))
        var index = readIndex
        while end &- index >= Wire.headerLength {
            let start = UnsafeRawPointer(base + index)
            let field = UInt32(bigEndian: start.loadUnaligned(as: UInt32.self))
            let length = Int(field)
            guard field <= maximum, field >= UInt32(Wire.headerRestLength),
                UInt16(bigEndian: start.loadUnaligned(fromByteOffset: 4, as: UInt16.self)) == Wire.magic,
                end &- index >= 4 &+ length
            else { break }
            index &+= 4 &+ length
            readIndex = index  // consumed before it is delivered, as in the general loop
            lastFrameLength = length
            let requestID = UInt32(bigEndian: start.loadUnaligned(fromByteOffset: 8, as: UInt32.self))
            guard
                try Message.withDecoded(
                    version: start.load(fromByteOffset: 6, as: UInt8.self), type: start.load(fromByteOffset: 7, as: UInt8.self),
                    payload: UnsafeRawBufferPointer(start: start + Wire.headerLength, count: length &- Wire.headerRestLength),
                    hostIsLittleEndian: hostIsLittleEndian, { try deliver($0, requestID) })
            else { return false }
        }
        return true
    }

    /// The header of the next frame once the whole frame is buffered (the caller consumes it),
    /// or nil. Reads and checks a new header if none is pending, and makes room for its frame
    /// when the frame is not all there yet.
    @inline(__always)
    private mutating func nextCompleteHeader() throws -> Header? {
        if failure != nil { throw failure! }
        switch state {
        case .waitingForHeader:
            let header: Header
            do {
                guard unread >= Wire.headerLength else {
                    try checkPartialHeader()
                    return nil
                }
                header = try Self.header(
                    at: UnsafeRawPointer(storage.base.unsafelyUnwrapped + readIndex), maximumFrameLength: maximumFrameLength)
            } catch let error as WireError {
                failure = error
                throw error
            }
            lastFrameLength = header.length
            guard unread >= 4 &+ header.length else {
                state = .waitingForFrame(header)
                makeRoom(forFrameOf: header.length)
                return nil
            }
            return header
        case .waitingForFrame(let header):
            guard unread >= 4 + header.length else { return nil }
            state = .waitingForHeader
            return header
        }
    }

    /// The 12 header bytes at `start`, checked. (Static, taking what it needs: a method reading
    /// `self` made the optimizer copy the whole decoder, with its references, per frame.)
    @inline(__always)
    private static func header(at start: UnsafeRawPointer, maximumFrameLength: Int) throws -> Header {
        let field = UInt32(bigEndian: start.loadUnaligned(as: UInt32.self))
        try checkLengthField(field, maximumFrameLength: maximumFrameLength)
        let magic = UInt16(bigEndian: start.loadUnaligned(fromByteOffset: 4, as: UInt16.self))
        guard magic == Wire.magic else { throw WireError.badMagic(magic) }
        return Header(
            length: Int(field), version: start.load(fromByteOffset: 6, as: UInt8.self),
            type: start.load(fromByteOffset: 7, as: UInt8.self),
            requestID: UInt32(bigEndian: start.loadUnaligned(fromByteOffset: 8, as: UInt32.self)))
    }

    /// Fewer than 12 header bytes: checks the length field once its 4 bytes are there and the
    /// magic once its 2 are, so a bad header fails before the rest of it arrives.
    private func checkPartialHeader() throws {
        guard unread >= 4 else { return }
        try Self.checkLengthField(load(UInt32.self, at: 0), maximumFrameLength: maximumFrameLength)
        guard unread >= 6 else { return }
        let magic = load(UInt16.self, at: 4)
        guard magic == Wire.magic else { throw WireError.badMagic(magic) }
    }

    @inline(__always)
    private static func checkLengthField(_ field: UInt32, maximumFrameLength: Int) throws {
        guard UInt64(field) <= UInt64(truncatingIfNeeded: maximumFrameLength) else {  // at least 8
            throw WireError.frameTooLarge(length: UInt64(field), maximum: maximumFrameLength)
        }
        guard Int(field) >= Wire.headerRestLength else { throw WireError.frameTooShort(length: Int(field)) }
    }

    /// A valid header announced a frame of `length` (+ 4) bytes: if the buffer cannot hold it,
    /// move what is unread to the front and make room for the whole frame now.
    private mutating func makeRoom(forFrameOf length: Int) {
        guard readIndex + 4 + length > storage.capacity else { return }
        reallocate(capacity: max(4 + length, unread))
    }

    /// Reads a big-endian integer at `offset` bytes past the read index.
    private func load<T: FixedWidthInteger>(_: T.Type, at offset: Int) -> T {
        T(bigEndian: UnsafeRawPointer(storage.base! + readIndex).loadUnaligned(fromByteOffset: offset, as: T.self))
    }

    /// Makes room for `count` more bytes after the buffered ones, in storage this decoder alone
    /// holds. When the free tail is too short, the unread bytes move to the front if they fill
    /// at most half the storage and the room then suffices; otherwise they go to new storage at
    /// least twice as large. Either way each byte is moved a bounded number of times on average.
    private mutating func ensureFreeRoom(_ count: Int) {
        let unique = isKnownUniquelyReferenced(&storage)
        if unique && storage.capacity - writeIndex >= count { return }
        let unread = self.unread
        if unique && unread + count <= storage.capacity && 2 * unread <= storage.capacity {
            moveUnreadToFront()
        } else {
            reallocate(capacity: max(unread + count, 2 * storage.capacity, 4096))
        }
    }

    /// New storage of `capacity` bytes holding the unread bytes at its front.
    private mutating func reallocate(capacity: Int) {
        let unread = self.unread
        let new = Storage(capacity: capacity)
        if unread > 0 { new.base!.copyMemory(from: storage.base! + readIndex, byteCount: unread) }
        storage = new
        readIndex = 0
        writeIndex = unread
    }

    private mutating func moveUnreadToFront() {
        let unread = self.unread
        if unread > 0 && readIndex > 0 { storage.base!.copyMemory(from: storage.base! + readIndex, byteCount: unread) }
        readIndex = 0
        writeIndex = unread
    }

    // MARK: Arrays received in place (see `InPlaceArrays`)

    /// The memory of the in-place array being received, or of the next one once a probe of the
    /// pending frame finds it; nil when the next read should go to the frame buffer.
    private mutating func inPlaceSpace() -> UnsafeMutableRawBufferPointer? {
        guard case .waitingForFrame(let header) = state else { return nil }
        if inPlace == nil {
            // Worth probing: a frame of this version, large enough to hold a large array.
            guard header.version == Wire.protocolVersion,
                header.length - Wire.headerRestLength >= minimumInPlaceArrayBytes,
                unread < 4 + header.length
            else { return nil }
            inPlace = InPlaceArrays()
        }
        let arrays = uniqueInPlaceArrays()
        if arrays.active == nil {
            guard !arrays.probeFinished, unread < 4 + header.length else { return nil }
            probe(header, arrays)
        }
        guard let entry = arrays.activeEntry else { return nil }
        return UnsafeMutableRawBufferPointer(start: entry.base + entry.filled, count: entry.byteCount - entry.filled)
    }

    /// Runs the message's decoder over the payload bytes buffered so far. If it stops at a large
    /// array that has not all arrived, the array is begun: the part of it already buffered
    /// moves into it, and the frame buffer is left with a hole where the array lies.
    private mutating func probe(_ header: Header, _ arrays: InPlaceArrays) {
        guard let type = MessageType(rawValue: header.type) else {
            arrays.probeFinished = true
            return
        }
        let payloadStart = readIndex + Wire.headerLength
        var reader = ByteReader(
            probing: UnsafeRawBufferPointer(start: storage.base! + payloadStart, count: writeIndex - payloadStart),
            payloadLength: header.length - Wire.headerRestLength, messageType: type, inPlace: arrays,
            minimumInPlaceBytes: minimumInPlaceArrayBytes)
        do {
            _ = try Message.decodeFields(of: type, from: &reader)
            arrays.probeFinished = true  // every field is there: nothing left to receive in place
        } catch ProbeSignal.needMoreBytes {
            return  // the fields before the next array have not all arrived: probe again later
        } catch ProbeSignal.array(let offset, let count, let asF64) {
            let entry = arrays.begin(offset: offset, count: count, asF64: asF64)
            let start = payloadStart + offset
            let already = writeIndex - start
            if already > 0 { entry.base.copyMemory(from: storage.base! + start, byteCount: already) }
            writeIndex = start
            if arrays.didFill(already, hostIsLittleEndian: hostIsLittleEndian) { writeIndex += entry.byteCount }
        } catch {
            arrays.probeFinished = true  // malformed: the decode of the whole frame reports it
        }
    }

    /// Bytes for the in-place array being received: recorded if they were read into its memory,
    /// copied there otherwise; once it is complete, the frame buffer goes on after its hole.
    private mutating func appendToInPlaceArray(_ bytes: UnsafeRawBufferPointer) {
        let arrays = uniqueInPlaceArrays()
        let entry = arrays.activeEntry!
        let target = entry.base + entry.filled
        let taken = min(entry.byteCount - entry.filled, bytes.count)
        if UnsafeRawPointer(target) != bytes.baseAddress! {
            target.copyMemory(from: bytes.baseAddress!, byteCount: taken)
        }
        if arrays.didFill(taken, hostIsLittleEndian: hostIsLittleEndian) { writeIndex += entry.byteCount }
        if taken < bytes.count { append(UnsafeRawBufferPointer(rebasing: bytes[taken...])) }
    }

    /// The in-place arrays, made this decoder's own first if a copy of it shares them.
    private mutating func uniqueInPlaceArrays() -> InPlaceArrays {
        if !isKnownUniquelyReferenced(&inPlace!) { inPlace = inPlace!.deepCopy() }
        return inPlace!
    }

    /// The in-place arrays of the frame being consumed, for its decoding (its own, not shared
    /// with a copy of this decoder); nil when it has none.
    private mutating func takeInPlaceArrays() -> InPlaceArrays? {
        guard inPlace != nil else { return nil }
        var arrays = inPlace!
        inPlace = nil
        if !isKnownUniquelyReferenced(&arrays) { arrays = arrays.deepCopy() }
        return arrays.entries.isEmpty ? nil : arrays
    }

    /// Drops consumed bytes when that is free (all consumed) or when they are at
    /// least half the buffer, so each byte is moved at most once on average.
    /// Storage of up to 1 MiB (or two of the last frame) is kept for reuse; a larger one, left by
    /// a large frame, is given back.
    private mutating func compactIfWorthwhile() {
        if readIndex == writeIndex {
            let keep = max(Self.retainedCapacity, 2 * (4 + lastFrameLength))
            if storage.capacity > keep || !isKnownUniquelyReferenced(&storage) { storage = Storage(capacity: 0) }
            readIndex = 0
            writeIndex = 0
        } else if readIndex >= Self.compactionThreshold && readIndex * 2 >= writeIndex {
            if isKnownUniquelyReferenced(&storage) { moveUnreadToFront() } else { reallocate(capacity: storage.capacity) }
        }
    }
}
