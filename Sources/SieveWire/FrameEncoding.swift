/// Work done with a message's body whatever its type (``Message/visitBody(_:)`` calls `visit`
/// with the concrete body, so each visitor is compiled once per message type).
@usableFromInline
protocol BodyVisitor {
    associatedtype Result
    mutating func visit<Body: PayloadCodable>(_ body: Body, type: MessageType) -> Result
}

/// The frame of one message body: its size from the counting pass, then the header and the
/// fields written by a ``ByteWriter``.
@usableFromInline
struct FrameEncoding<Body: PayloadCodable> {
    @usableFromInline let body: Body
    @usableFromInline let type: MessageType
    @usableFromInline let requestID: UInt32
    /// Header and payload; traps if the length field cannot hold it.
    @usableFromInline let size: Int

    @inlinable @inline(__always)
    init(_ body: Body, type: MessageType, requestID: UInt32) {
        var counter = SizeCounter()
        body.encode(into: &counter)
        precondition(
            counter.size <= Int(UInt32.max) - Wire.headerRestLength, "\(type.name) payload is too long for one frame")
        self.body = body
        self.type = type
        self.requestID = requestID
        size = Wire.headerLength + counter.size
    }

    @inlinable @inline(__always)
    func write(into writer: inout ByteWriter) {
        writer.u32(UInt32(size - 4))
        writer.u16(Wire.magic)
        writer.u8(Wire.protocolVersion)
        writer.u8(type.rawValue)
        writer.u32(requestID)
        body.encode(into: &writer)
    }

    /// The frame in a new array of the exact size.
    func bytes(hostIsLittleEndian: Bool = WireArrays.hostIsLittleEndian) -> [UInt8] {
        Message.filled(size: size, hostIsLittleEndian: hostIsLittleEndian) { write(into: &$0) }
    }
}

/// The bytes of a frame as a `Sequence`, for `Array.append(contentsOf:)`: the append makes room
/// for `underestimatedCount` (the exact size) and hands that room to `_copyContents`, which
/// writes the frame straight into the array's storage. (Iterating it element by element also
/// works, through a temporary array; nothing here does that.)
struct FrameBytes<Body: PayloadCodable>: Sequence {
    typealias Element = UInt8

    /// The bytes not yet handed out; none once `_copyContents` wrote the frame (then there is
    /// no array at all, so nothing to retain or release).
    struct Iterator: IteratorProtocol {
        var rest: IndexingIterator<ArraySlice<UInt8>>?
        mutating func next() -> UInt8? { rest?.next() }
    }

    let frame: FrameEncoding<Body>

    var underestimatedCount: Int { frame.size }

    func makeIterator() -> Iterator { Iterator(rest: frame.bytes()[...].makeIterator()) }

    @inline(__always)
    func _copyContents(initializing buffer: UnsafeMutableBufferPointer<UInt8>) -> (Iterator, Int) {
        let size = frame.size
        guard size <= buffer.count else { return copyPrefix(into: buffer) }
        var writer = ByteWriter(UnsafeMutableRawBufferPointer(UnsafeMutableBufferPointer(rebasing: buffer[0..<size])))
        frame.write(into: &writer)
        precondition(writer.remaining == 0, "\(frame.type.name) encoder wrote less than it counted")
        return (Iterator(rest: nil), size)
    }

    /// Room shorter than the frame (not what `Array.append(contentsOf:)` gives): as much as fits,
    /// and an iterator over the rest.
    @inline(never)
    private func copyPrefix(into buffer: UnsafeMutableBufferPointer<UInt8>) -> (Iterator, Int) {
        let all = frame.bytes()
        for index in 0..<buffer.count { buffer[index] = all[index] }
        return (Iterator(rest: all[buffer.count...].makeIterator()), buffer.count)
    }
}

/// `Message.encodePayload()`: the fields alone, in a new array of the exact size.
struct PayloadBytes: BodyVisitor {
    func visit<Body: PayloadCodable>(_ body: Body, type: MessageType) -> [UInt8] {
        var counter = SizeCounter()
        body.encode(into: &counter)
        return Message.filled(size: counter.size) { body.encode(into: &$0) }
    }
}

/// `Message.encoded(requestID:)`: the whole frame in a new array of the exact size.
struct ContiguousFrame: BodyVisitor {
    let requestID: UInt32
    let hostIsLittleEndian: Bool

    func visit<Body: PayloadCodable>(_ body: Body, type: MessageType) -> [UInt8] {
        FrameEncoding(body, type: type, requestID: requestID).bytes(hostIsLittleEndian: hostIsLittleEndian)
    }
}

/// `Message.encode(requestID:appendingTo:)`: the whole frame appended, in place, to the array
/// at `target` (the caller's `inout` argument, valid during the call).
struct AppendFrame: BodyVisitor {
    let requestID: UInt32
    let target: UnsafeMutablePointer<[UInt8]>

    @inline(__always)
    func visit<Body: PayloadCodable>(_ body: Body, type: MessageType) {
        target.pointee.append(contentsOf: FrameBytes(frame: FrameEncoding(body, type: type, requestID: requestID)))
    }
}

/// `Message.encode(requestID:into:)`: the whole frame at the start of `buffer`, if it fits.
@usableFromInline
struct WriteFrame: BodyVisitor {
    @usableFromInline let requestID: UInt32
    @usableFromInline let buffer: UnsafeMutableRawBufferPointer

    @inlinable
    init(requestID: UInt32, buffer: UnsafeMutableRawBufferPointer) {
        self.requestID = requestID
        self.buffer = buffer
    }

    @inlinable @inline(__always)
    func visit<Body: PayloadCodable>(_ body: Body, type: MessageType) -> Int? {
        let frame = FrameEncoding(body, type: type, requestID: requestID)
        guard frame.size <= buffer.count else { return nil }
        var writer = ByteWriter(UnsafeMutableRawBufferPointer(rebasing: buffer[0..<frame.size]))
        frame.write(into: &writer)
        precondition(writer.remaining == 0, "\(type.name) encoder wrote less than it counted")
        return frame.size
    }
}

/// A frame ready for a vectored write: the buffers to send one after the other, in order.
/// Their bytes, joined, are the bytes of ``Message/encoded(requestID:)``.
///
/// Writing it: one `uv_buf_t` (or `iovec`) per segment, each pointing at the segment's storage,
/// which must be kept alive (and unchanged: Swift arrays are copied on write, so holding a
/// reference is enough) until the write completes. SieveUV's `TCPConnection.write(_:)` with
/// `WriteBuffer`s does that.
public enum OutgoingFrame: Sendable {
    /// The whole frame in one buffer.
    case contiguous([UInt8])
    /// The frame in pieces: byte segments around the large arrays, which are not copied.
    case segments([FrameSegment])

    /// Arrays of at least this many bytes (8,192 elements) become their own segment; shorter
    /// ones are copied into the bytes around them, which costs less than another buffer.
    public static let minimumSegmentBytes = 64 << 10

    /// Bytes in the frame.
    public var byteCount: Int {
        switch self {
        case .contiguous(let bytes): bytes.count
        case .segments(let segments): segments.reduce(0) { $0 + $1.byteCount }
        }
    }

    /// All the bytes in one array (a copy, for tests and for writers without vectored writes).
    public var joined: [UInt8] {
        switch self {
        case .contiguous(let bytes):
            return bytes
        case .segments(let segments):
            var all: [UInt8] = []
            all.reserveCapacity(byteCount)
            for segment in segments { segment.withUnsafeBytes { all.append(contentsOf: $0) } }
            return all
        }
    }
}

/// One buffer of an ``OutgoingFrame``: bytes written for the frame, or a message's own array,
/// whose memory holds the wire's little-endian elements as they are.
public enum FrameSegment: Sendable {
    case bytes([UInt8])
    case f64s([Double])
    case u64s([UInt64])

    public var byteCount: Int {
        switch self {
        case .bytes(let bytes): bytes.count
        case .f64s(let values): 8 * values.count
        case .u64s(let values): 8 * values.count
        }
    }

    /// Calls `body` with the segment's bytes, valid during the call.
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        switch self {
        case .bytes(let bytes): try bytes.withUnsafeBytes(body)
        case .f64s(let values): try values.withUnsafeBytes(body)
        case .u64s(let values): try values.withUnsafeBytes(body)
        }
    }
}

/// `Message.encodedForWriting(requestID:)`: counts first (how many bytes in all, how many in
/// arrays large enough to be segments); without such arrays, or on a big-endian host, the
/// frame is written contiguously, else by a ``SegmentWriter``.
struct SegmentedFrame: BodyVisitor {
    let requestID: UInt32
    let hostIsLittleEndian: Bool
    let minimumSegmentBytes: Int

    func visit<Body: PayloadCodable>(_ body: Body, type: MessageType) -> OutgoingFrame {
        let frame = FrameEncoding(body, type: type, requestID: requestID)
        var counter = SizeCounter(minimumSegmentBytes: minimumSegmentBytes)
        body.encode(into: &counter)
        guard hostIsLittleEndian, counter.segmentBytes > 0 else {
            return .contiguous(frame.bytes(hostIsLittleEndian: hostIsLittleEndian))
        }
        var writer = SegmentWriter(minimumSegmentBytes: minimumSegmentBytes, inlineBytes: frame.size - counter.segmentBytes)
        writer.u32(UInt32(frame.size - 4))
        writer.u16(Wire.magic)
        writer.u8(Wire.protocolVersion)
        writer.u8(type.rawValue)
        writer.u32(requestID)
        body.encode(into: &writer)
        return .segments(writer.finish())
    }
}

/// Writes a frame as segments (little-endian hosts only): fields are appended to the current
/// byte segment; an array of at least `minimumSegmentBytes` ends it and becomes a segment of
/// its own, after its count.
struct SegmentWriter: FieldSink {
    private var segments: [FrameSegment] = []
    private var current: [UInt8] = []
    private let minimumSegmentBytes: Int

    /// `inlineBytes`: the bytes the byte segments will hold in all (their first one reserves that).
    init(minimumSegmentBytes: Int, inlineBytes: Int) {
        precondition(WireArrays.hostIsLittleEndian, "array segments are the wire's bytes only on a little-endian host")
        self.minimumSegmentBytes = minimumSegmentBytes
        current.reserveCapacity(inlineBytes)
    }

    mutating func u8(_ value: UInt8) { current.append(value) }
    mutating func u16(_ value: UInt16) { append(value.bigEndian) }
    mutating func u32(_ value: UInt32) { append(value.bigEndian) }
    mutating func u64(_ value: UInt64) { append(value.bigEndian) }
    mutating func f64(_ value: Double) { append(value.bitPattern.bigEndian) }

    mutating func string(_ value: String) {
        count(value.utf8.count)
        current.append(contentsOf: value.utf8)
    }

    mutating func bytes(_ value: [UInt8]) {
        count(value.count)
        current.append(contentsOf: value)
    }

    mutating func f64Array(_ values: [Double]) { words(values, segment: FrameSegment.f64s) }

    mutating func u64Array(_ values: [UInt64]) { words(values, segment: FrameSegment.u64s) }

    /// A `u32` count, then the 8-byte words: the array itself as its own segment when it is
    /// large enough, else copied into the current byte segment.
    private mutating func words<Word>(_ values: [Word], segment: ([Word]) -> FrameSegment) {
        count(values.count)
        if 8 * values.count >= minimumSegmentBytes {
            endSegment(segment(values))
        } else {
            values.withUnsafeBytes { current.append(contentsOf: $0) }
        }
    }

    /// The segments, in wire order.
    mutating func finish() -> [FrameSegment] {
        if !current.isEmpty { segments.append(.bytes(current)) }
        current = []
        return segments
    }

    private mutating func endSegment(_ array: FrameSegment) {
        if !current.isEmpty { segments.append(.bytes(current)) }
        segments.append(array)
        current = []
    }

    private mutating func count(_ count: Int) {
        precondition(count >= 0 && count <= Int(UInt32.max), "count \(count) does not fit in a u32")
        u32(UInt32(count))
    }

    private mutating func append<T: FixedWidthInteger>(_ bigEndian: T) {
        withUnsafeBytes(of: bigEndian) { current.append(contentsOf: $0) }
    }
}
