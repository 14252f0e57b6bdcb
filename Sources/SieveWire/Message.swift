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
    public var type: MessageType { Swift.type(of: body).messageType }

    /// The payload bytes alone, without the frame header.
    public func encodePayload() -> [UInt8] {
        var writer = ByteWriter()
        body.encode(into: &writer)
        return writer.bytes
    }

    /// The message in a ``Frame`` of the current protocol version.
    public func frame(requestID: UInt32 = 0) -> Frame {
        Frame(type: type.rawValue, requestID: requestID, payload: encodePayload())
    }

    /// The bytes of the whole frame, header and payload, built in one buffer.
    ///
    /// Same bytes as `frame(requestID:).encoded()` without copying the payload twice.
    public func encoded(requestID: UInt32 = 0) -> [UInt8] {
        var writer = ByteWriter()
        writer.u32(0)  // length, patched below once the payload size is known
        writer.u16(Wire.magic)
        writer.u8(Wire.protocolVersion)
        writer.u8(type.rawValue)
        writer.u32(requestID)
        body.encode(into: &writer)
        let length = writer.bytes.count - 4
        precondition(length <= Int(UInt32.max), "\(type.name) payload is too long for one frame")
        writer.patchU32(UInt32(length), at: 0)
        return writer.bytes
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
        try decode(version: frame.version, type: frame.type, payload: frame.payload, range: 0..<frame.payload.count)
    }

    /// The message whose payload is `payload[range]`, checked exactly as `decode(_:)` checks a
    /// frame; `FrameDecoder.nextMessage` reads payloads in place with it.
    static func decode(version: UInt8, type rawType: UInt8, payload: [UInt8], range: Range<Int>) throws -> Message {
        guard version == Wire.protocolVersion else { throw WireError.unsupportedVersion(version) }
        guard let type = MessageType(rawValue: rawType) else { throw WireError.unknownMessageType(rawType) }
        var reader = ByteReader(payload, range: range, messageName: type.name)
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

    /// The fields, whichever message this is.
    private var body: any PayloadCodable {
        switch self {
        case .hello(let body): body
        case .welcome(let body): body
        case .reject(let body): body
        case .ready(let body): body
        case .heartbeat(let body): body
        case .reference(let body): body
        case .assign(let body): body
        case .partialSum(let body): body
        case .scores(let body): body
        case .shardFailed(let body): body
        case .curriculum(let body): body
        case .done(let body): body
        case .error(let body): body
        case .assignPart(let body): body
        case .partPicks(let body): body
        case .challenge(let body): body
        case .auth(let body): body
        case .authProof(let body): body
        case .assignTask(let body): body
        case .taskResult(let body): body
        case .weights(let body): body
        }
    }
}
