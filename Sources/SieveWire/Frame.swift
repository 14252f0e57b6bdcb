/// One unit of the byte stream: a 12-byte header and a payload.
///
/// ```
///  0       4     6   7   8               12
///  +-------+-----+---+---+---------------+-----------------+
///  |length | "GS"|ver|typ|  request id   | payload ...     |
///  |  u32  | u16 |u8 |u8 |     u32       | length - 8 bytes|
///  +-------+-----+---+---+---------------+-----------------+
/// ```
///
/// `length` counts every byte after itself (8 + payload size). All integers
/// in the header are big-endian. A `Frame` knows nothing of what the payload means: that is
/// ``Message``'s job, so a frame with an unknown type or version can still be
/// read off the stream and answered with a reason.
public struct Frame: Equatable, Sendable {
    /// The protocol version the sender speaks; ``Wire/protocolVersion`` for frames this module builds.
    public var version: UInt8
    /// The message type byte (see ``MessageType``).
    public var type: UInt8
    /// Chosen by the sender; a reply echoes the id of the message it answers.
    public var requestID: UInt32
    /// The message fields, encoded as `docs/protocol.md` describes.
    public var payload: [UInt8]

    public init(type: UInt8, requestID: UInt32, payload: [UInt8], version: UInt8 = Wire.protocolVersion) {
        self.version = version
        self.type = type
        self.requestID = requestID
        self.payload = payload
    }

    /// The frame as bytes to put on the wire, header first.
    ///
    /// Traps if the payload is too long for the `u32` length field. Keeping
    /// frames within the receiver's maximum (``Wire/defaultMaximumFrameLength``
    /// unless agreed otherwise) is the caller's responsibility.
    public func encoded() -> [UInt8] {
        let length = Wire.headerRestLength + payload.count
        precondition(length <= Int(UInt32.max), "payload of \(payload.count) bytes is too long for one frame")
        return Message.filled(size: Wire.headerLength + payload.count) { writer in
            writer.u32(UInt32(length))
            writer.u16(Wire.magic)
            writer.u8(version)
            writer.u8(type)
            writer.u32(requestID)
            payload.withUnsafeBytes { writer.rawBytes($0) }
        }
    }
}
