/// Any message of the protocol, with its fields; the unit both ends work in.
///
/// Going out, ``encoded(requestID:)`` gives the bytes of a whole frame.
/// Coming in, a ``FrameDecoder`` yields ``Frame``s and ``decode(_:)`` turns
/// each into a `Message`, checking, in this order: the protocol version, the
/// type byte, every field, and that no bytes follow the last field.
public enum Message: Equatable, Sendable {
    case hello(Hello)
    case welcome(Welcome)
    case reject(Reject)
    case ready(Ready)
    case heartbeat(Heartbeat)
    case reference(Reference)
    case assign(Assignment)
    case partialSum(PartialSum)
    case scores(ShardScores)
    case shardFailed(ShardFailure)
    case curriculum(CurriculumMessage)
    case done(Done)
    case error(ErrorMessage)
    case assignPart(PartAssignment)
    case partPicks(PartPicks)
    case challenge(Challenge)
    case auth(Auth)
    case authProof(AuthProof)
    case assignTask(TaskAssignment)
    case taskResult(TaskResult)
    case weights(Weights)

    /// The type byte this message is sent with.
    public var type: MessageType {
        switch self {
        case .hello: .hello
        case .welcome: .welcome
        case .reject: .reject
        case .ready: .ready
        case .heartbeat: .heartbeat
        case .reference: .reference
        case .assign: .assign
        case .partialSum: .partialSum
        case .scores: .scores
        case .shardFailed: .shardFailed
        case .curriculum: .curriculum
        case .done: .done
        case .error: .error
        case .assignPart: .assignPart
        case .partPicks: .partPicks
        case .challenge: .challenge
        case .auth: .auth
        case .authProof: .authProof
        case .assignTask: .assignTask
        case .taskResult: .taskResult
        case .weights: .weights
        }
    }

    /// The payload bytes alone, without the frame header.
    public func encodePayload() -> [UInt8] {
        var counter = SizeCounter()
        encodeBody(into: &counter)
        return Self.filled(size: counter.size) { encodeBody(into: &$0) }
    }

    /// The message in a ``Frame`` of the current protocol version.
    public func frame(requestID: UInt32 = 0) -> Frame {
        Frame(type: type.rawValue, requestID: requestID, payload: encodePayload())
    }

    /// The bytes of the whole frame, header and payload, in one allocation of the exact size.
    ///
    /// Same bytes as `frame(requestID:).encoded()` without copying the payload twice.
    public func encoded(requestID: UInt32 = 0) -> [UInt8] {
        let size = frameSize()
        return Self.filled(size: size) { writeFrame(requestID: requestID, payloadSize: size - Wire.headerLength, into: &$0) }
    }

    /// Appends the bytes of the whole frame to `bytes`: the same bytes as
    /// ``encoded(requestID:)``, written straight into the caller's buffer, so that a sender
    /// batching many small frames into one write allocates nothing per frame. (The room is
    /// written on the stack for a frame of up to 1 KiB, zero-filled first for a larger one; for
    /// one large frame, ``encoded(requestID:)`` is faster.)
    public func encode(requestID: UInt32 = 0, appendingTo bytes: inout [UInt8]) {
        let size = frameSize()
        if size <= 1024 {
            // Written on the stack, then appended with one copy.
            withUnsafeTemporaryAllocation(byteCount: size, alignment: 8) { room in
                var writer = ByteWriter(room)
                writeFrame(requestID: requestID, payloadSize: size - Wire.headerLength, into: &writer)
                precondition(writer.remaining == 0, "\(type.name) encoder wrote less than it counted")
                bytes.append(contentsOf: UnsafeRawBufferPointer(room))
            }
            return
        }
        let start = bytes.count
        bytes.append(contentsOf: repeatElement(0, count: size))
        bytes.withUnsafeMutableBytes { raw in
            var writer = ByteWriter(UnsafeMutableRawBufferPointer(rebasing: raw[start..<(start + size)]))
            writeFrame(requestID: requestID, payloadSize: size - Wire.headerLength, into: &writer)
            precondition(writer.remaining == 0, "\(type.name) encoder wrote less than it counted")
        }
    }

    /// Header and payload size, from the counting pass; traps if the length field cannot hold it.
    private func frameSize() -> Int {
        var counter = SizeCounter()
        encodeBody(into: &counter)
        precondition(
            counter.size <= Int(UInt32.max) - Wire.headerRestLength, "\(type.name) payload is too long for one frame")
        return Wire.headerLength + counter.size
    }

    private func writeFrame(requestID: UInt32, payloadSize: Int, into writer: inout ByteWriter) {
        writer.u32(UInt32(Wire.headerRestLength + payloadSize))
        writer.u16(Wire.magic)
        writer.u8(Wire.protocolVersion)
        writer.u8(type.rawValue)
        writer.u32(requestID)
        encodeBody(into: &writer)
    }

    /// A new array of exactly `size` bytes written by `write`, which must fill it.
    static func filled(size: Int, _ write: (inout ByteWriter) -> Void) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: size) { buffer, initialized in
            var writer = ByteWriter(UnsafeMutableRawBufferPointer(UnsafeMutableBufferPointer(rebasing: buffer[0..<size])))
            write(&writer)
            precondition(writer.remaining == 0, "encoder wrote less than it counted")
            initialized = size
        }
    }

    /// The message a frame holds.
    ///
    /// Throws a ``WireError``: ``WireError/Code/unsupportedVersion`` if
    /// `frame.version` is not ``Wire/protocolVersion`` (checked first, so a
    /// handshake can reject with that reason); ``WireError/Code/unknownMessageType``
    /// naming the type byte; ``WireError/Code/malformedField`` naming the field
    /// as `<message>.<field>`; ``WireError/Code/trailingBytes`` if the payload
    /// is longer than the message.
    public static func decode(_ frame: Frame) throws -> Message {
        try frame.payload.withUnsafeBytes { try decode(version: frame.version, type: frame.type, payload: $0) }
    }

    /// The message whose payload is `payload`, checked exactly as `decode(_:)` checks a frame;
    /// `FrameDecoder.nextMessage` reads payloads in place, in its buffer, with it.
    static func decode(version: UInt8, type rawType: UInt8, payload: UnsafeRawBufferPointer) throws -> Message {
        guard version == Wire.protocolVersion else { throw WireError.unsupportedVersion(version) }
        guard let type = MessageType(rawValue: rawType) else { throw WireError.unknownMessageType(rawType) }
        var reader = ByteReader(payload, messageType: type)
        let message = try decodeFields(of: type, from: &reader)
        try reader.finish()
        return message
    }

    private static func decodeFields(of type: MessageType, from reader: inout ByteReader) throws -> Message {
        switch type {
        case .hello: .hello(try Hello(from: &reader))
        case .welcome: .welcome(try Welcome(from: &reader))
        case .reject: .reject(try Reject(from: &reader))
        case .ready: .ready(try Ready(from: &reader))
        case .heartbeat: .heartbeat(try Heartbeat(from: &reader))
        case .reference: .reference(try Reference(from: &reader))
        case .assign: .assign(try Assignment(from: &reader))
        case .partialSum: .partialSum(try PartialSum(from: &reader))
        case .scores: .scores(try ShardScores(from: &reader))
        case .shardFailed: .shardFailed(try ShardFailure(from: &reader))
        case .curriculum: .curriculum(try CurriculumMessage(from: &reader))
        case .done: .done(try Done(from: &reader))
        case .error: .error(try ErrorMessage(from: &reader))
        case .assignPart: .assignPart(try PartAssignment(from: &reader))
        case .partPicks: .partPicks(try PartPicks(from: &reader))
        case .challenge: .challenge(try Challenge(from: &reader))
        case .auth: .auth(try Auth(from: &reader))
        case .authProof: .authProof(try AuthProof(from: &reader))
        case .assignTask: .assignTask(try TaskAssignment(from: &reader))
        case .taskResult: .taskResult(try TaskResult(from: &reader))
        case .weights: .weights(try Weights(from: &reader))
        }
    }

    /// Writes the fields, whichever message this is (a switch, so each body's encoder is called
    /// directly: no existential box per message).
    private func encodeBody<Sink: FieldSink>(into writer: inout Sink) {
        switch self {
        case .hello(let body): body.encode(into: &writer)
        case .welcome(let body): body.encode(into: &writer)
        case .reject(let body): body.encode(into: &writer)
        case .ready(let body): body.encode(into: &writer)
        case .heartbeat(let body): body.encode(into: &writer)
        case .reference(let body): body.encode(into: &writer)
        case .assign(let body): body.encode(into: &writer)
        case .partialSum(let body): body.encode(into: &writer)
        case .scores(let body): body.encode(into: &writer)
        case .shardFailed(let body): body.encode(into: &writer)
        case .curriculum(let body): body.encode(into: &writer)
        case .done(let body): body.encode(into: &writer)
        case .error(let body): body.encode(into: &writer)
        case .assignPart(let body): body.encode(into: &writer)
        case .partPicks(let body): body.encode(into: &writer)
        case .challenge(let body): body.encode(into: &writer)
        case .auth(let body): body.encode(into: &writer)
        case .authProof(let body): body.encode(into: &writer)
        case .assignTask(let body): body.encode(into: &writer)
        case .taskResult(let body): body.encode(into: &writer)
        case .weights(let body): body.encode(into: &writer)
        }
    }
}
