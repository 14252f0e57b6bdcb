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
        var visitor = PayloadBytes()
        return visitBody(&visitor)
    }

    /// The message in a ``Frame`` of the current protocol version.
    public func frame(requestID: UInt32 = 0) -> Frame {
        Frame(type: type.rawValue, requestID: requestID, payload: encodePayload())
    }

    /// The bytes of the whole frame, header and payload, in one allocation of the exact size.
    ///
    /// Same bytes as `frame(requestID:).encoded()` without copying the payload twice.
    public func encoded(requestID: UInt32 = 0) -> [UInt8] {
        var visitor = ContiguousFrame(requestID: requestID, hostIsLittleEndian: WireArrays.hostIsLittleEndian)
        return visitBody(&visitor)
    }

    /// Appends the bytes of the whole frame to `bytes`: the same bytes as
    /// ``encoded(requestID:)``, written straight into the caller's buffer, so that a sender
    /// batching many small frames into one write allocates nothing per frame.
    ///
    /// The frame is written in place, in the array's own storage (grown like any append when
    /// its capacity is short): no scratch buffer, no copy. Everything is specialized per message
    /// type, so an `assign` costs one size check and a dozen stores at constant offsets.
    public func encode(requestID: UInt32 = 0, appendingTo bytes: inout [UInt8]) {
        withUnsafeMutablePointer(to: &bytes) { target in
            var visitor = AppendFrame(requestID: requestID, target: target)
            visitBody(&visitor)
        }
    }

    /// Writes the whole frame (the bytes of ``encoded(requestID:)``) at the start of `buffer` and
    /// returns its size, or returns nil and writes nothing if the frame is longer than `buffer`.
    /// For a sender that fills its own write buffers: nothing is allocated or counted twice.
    @inlinable @inline(__always)
    public func encode(requestID: UInt32 = 0, into buffer: UnsafeMutableRawBufferPointer) -> Int? {
        var visitor = WriteFrame(requestID: requestID, buffer: buffer)
        return visitBody(&visitor)
    }

    /// The bytes of the whole frame as the buffers of one vectored write: ``OutgoingFrame``
    /// says how. An `f64` or `u64` array of at least ``OutgoingFrame/minimumSegmentBytes``
    /// bytes is not copied: it is its own segment, the array itself, whose storage the writer
    /// sends as it lies (the wire's array elements are little-endian, as this host holds
    /// them). Everything else (header, scalars, strings, shorter arrays) is written into byte
    /// segments. A frame without such an array, or any frame on a big-endian host, comes back
    /// as one contiguous buffer, the bytes of ``encoded(requestID:)``.
    public func encodedForWriting(requestID: UInt32 = 0) -> OutgoingFrame {
        encodedForWriting(
            requestID: requestID, hostIsLittleEndian: WireArrays.hostIsLittleEndian,
            minimumSegmentBytes: OutgoingFrame.minimumSegmentBytes)
    }

    /// ``encodedForWriting(requestID:)`` with the host's byte order and the segment threshold as
    /// parameters, so that tests run the big-endian host's path and small segments.
    func encodedForWriting(requestID: UInt32, hostIsLittleEndian: Bool, minimumSegmentBytes: Int) -> OutgoingFrame {
        var visitor = SegmentedFrame(
            requestID: requestID, hostIsLittleEndian: hostIsLittleEndian, minimumSegmentBytes: minimumSegmentBytes)
        return visitBody(&visitor)
    }

    /// A new array of exactly `size` bytes written by `write`, which must fill it.
    @inline(__always)
    static func filled(
        size: Int, hostIsLittleEndian: Bool = WireArrays.hostIsLittleEndian, _ write: (inout ByteWriter) -> Void
    ) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: size) { buffer, initialized in
            var writer = ByteWriter(
                UnsafeMutableRawBufferPointer(UnsafeMutableBufferPointer(rebasing: buffer[0..<size])),
                hostIsLittleEndian: hostIsLittleEndian)
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
    static func decode(
        version: UInt8, type rawType: UInt8, payload: UnsafeRawBufferPointer,
        hostIsLittleEndian: Bool = WireArrays.hostIsLittleEndian, inPlace: InPlaceArrays? = nil
    ) throws -> Message {
        try withExtendedLifetime(inPlace) {
            try withDecoded(
                version: version, type: rawType, payload: payload, hostIsLittleEndian: hostIsLittleEndian,
                inPlace: inPlace
            ) { $0 }
        }
    }

    /// Decodes the payload as `decode(version:type:payload:)` does and passes the message to
    /// `use`. Each type's message is built and handed over in its own branch, where its case
    /// is known: an `assign` is then never copied into a general `Message` slot, and destroying
    /// it after `use` costs nothing (no call that switches over every case to find what to
    /// release). `inPlace`: arrays of the payload a ``FrameDecoder`` received outside it.
    @inline(__always)
    @inlinable
    static func withDecoded<R>(
        version: UInt8, type rawType: UInt8, payload: UnsafeRawBufferPointer,
        hostIsLittleEndian: Bool = WireArrays.hostIsLittleEndian, inPlace: InPlaceArrays? = nil,
        _ use: (Message) throws -> R
    ) throws -> R {
        guard version == Wire.protocolVersion else { throw WireError.unsupportedVersion(version) }
        switch rawType {
        case MessageType.hello.rawValue: return try use(.hello(body(Hello.self, .hello, payload, hostIsLittleEndian, inPlace)))
        case MessageType.welcome.rawValue: return try use(.welcome(body(Welcome.self, .welcome, payload, hostIsLittleEndian, inPlace)))
        case MessageType.reject.rawValue: return try use(.reject(body(Reject.self, .reject, payload, hostIsLittleEndian, inPlace)))
        case MessageType.ready.rawValue: return try use(.ready(body(Ready.self, .ready, payload, hostIsLittleEndian, inPlace)))
        case MessageType.heartbeat.rawValue: return try use(.heartbeat(body(Heartbeat.self, .heartbeat, payload, hostIsLittleEndian, inPlace)))
        case MessageType.reference.rawValue: return try use(.reference(body(Reference.self, .reference, payload, hostIsLittleEndian, inPlace)))
        case MessageType.assign.rawValue: return try use(.assign(body(Assignment.self, .assign, payload, hostIsLittleEndian, inPlace)))
        case MessageType.partialSum.rawValue: return try use(.partialSum(body(PartialSum.self, .partialSum, payload, hostIsLittleEndian, inPlace)))
        case MessageType.scores.rawValue: return try use(.scores(body(ShardScores.self, .scores, payload, hostIsLittleEndian, inPlace)))
        case MessageType.shardFailed.rawValue: return try use(.shardFailed(body(ShardFailure.self, .shardFailed, payload, hostIsLittleEndian, inPlace)))
        case MessageType.curriculum.rawValue: return try use(.curriculum(body(CurriculumMessage.self, .curriculum, payload, hostIsLittleEndian, inPlace)))
        case MessageType.done.rawValue: return try use(.done(body(Done.self, .done, payload, hostIsLittleEndian, inPlace)))
        case MessageType.error.rawValue: return try use(.error(body(ErrorMessage.self, .error, payload, hostIsLittleEndian, inPlace)))
        case MessageType.assignPart.rawValue: return try use(.assignPart(body(PartAssignment.self, .assignPart, payload, hostIsLittleEndian, inPlace)))
        case MessageType.partPicks.rawValue: return try use(.partPicks(body(PartPicks.self, .partPicks, payload, hostIsLittleEndian, inPlace)))
        case MessageType.challenge.rawValue: return try use(.challenge(body(Challenge.self, .challenge, payload, hostIsLittleEndian, inPlace)))
        case MessageType.auth.rawValue: return try use(.auth(body(Auth.self, .auth, payload, hostIsLittleEndian, inPlace)))
        case MessageType.authProof.rawValue: return try use(.authProof(body(AuthProof.self, .authProof, payload, hostIsLittleEndian, inPlace)))
        case MessageType.assignTask.rawValue: return try use(.assignTask(body(TaskAssignment.self, .assignTask, payload, hostIsLittleEndian, inPlace)))
        case MessageType.taskResult.rawValue: return try use(.taskResult(body(TaskResult.self, .taskResult, payload, hostIsLittleEndian, inPlace)))
        case MessageType.weights.rawValue: return try use(.weights(body(Weights.self, .weights, payload, hostIsLittleEndian, inPlace)))
        default: throw WireError.unknownMessageType(rawType)
        }
    }

    /// The body of a `type` message in `payload`: every field, then no byte left. (Inlined into
    /// each branch, the reader lives there alone and stays in registers.)
    @inlinable @inline(__always)
    static func body<Body: PayloadCodable>(
        _: Body.Type, _ type: MessageType, _ payload: UnsafeRawBufferPointer, _ hostIsLittleEndian: Bool,
        _ inPlace: InPlaceArrays?
    ) throws -> Body {
        if let size = Body.fixedPayloadSize, payload.count == size {
            // The same reads over a payload whose size is a constant here: every bounds check
            // and the final one fold away. (The payload really is `size` bytes long.)
            var reader = ByteReader(
                UnsafeRawBufferPointer(start: payload.baseAddress, count: size), messageType: type,
                hostIsLittleEndian: hostIsLittleEndian, inPlace: inPlace)
            let body = try Body(from: &reader)
            try reader.finish()
            return body
        }
        var reader = ByteReader(payload, messageType: type, hostIsLittleEndian: hostIsLittleEndian, inPlace: inPlace)
        let body = try Body(from: &reader)
        try reader.finish()
        return body
    }

    /// The message whose fields `reader` reads (without the check for trailing bytes); a
    /// ``FrameDecoder`` probes a frame still arriving with it.
    static func decodeFields(of type: MessageType, from reader: inout ByteReader) throws -> Message {
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

    /// Calls `visitor` with the body of this message, whatever its type: one switch, after which
    /// the visitor's work is specialized for the concrete body (no existential box, and the
    /// counting and writing passes of a fixed-size message fold into constants).
    @inline(__always)
    @inlinable
    func visitBody<Visitor: BodyVisitor>(_ visitor: inout Visitor) -> Visitor.Result {
        switch self {
        case .hello(let body): visitor.visit(body, type: .hello)
        case .welcome(let body): visitor.visit(body, type: .welcome)
        case .reject(let body): visitor.visit(body, type: .reject)
        case .ready(let body): visitor.visit(body, type: .ready)
        case .heartbeat(let body): visitor.visit(body, type: .heartbeat)
        case .reference(let body): visitor.visit(body, type: .reference)
        case .assign(let body): visitor.visit(body, type: .assign)
        case .partialSum(let body): visitor.visit(body, type: .partialSum)
        case .scores(let body): visitor.visit(body, type: .scores)
        case .shardFailed(let body): visitor.visit(body, type: .shardFailed)
        case .curriculum(let body): visitor.visit(body, type: .curriculum)
        case .done(let body): visitor.visit(body, type: .done)
        case .error(let body): visitor.visit(body, type: .error)
        case .assignPart(let body): visitor.visit(body, type: .assignPart)
        case .partPicks(let body): visitor.visit(body, type: .partPicks)
        case .challenge(let body): visitor.visit(body, type: .challenge)
        case .auth(let body): visitor.visit(body, type: .auth)
        case .authProof(let body): visitor.visit(body, type: .authProof)
        case .assignTask(let body): visitor.visit(body, type: .assignTask)
        case .taskResult(let body): visitor.visit(body, type: .taskResult)
        case .weights(let body): visitor.visit(body, type: .weights)
        }
    }
}
