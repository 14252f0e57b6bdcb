/// Constants of the gradsieve wire protocol, shared by both ends of a connection.
///
/// The full byte-by-byte description lives in `docs/protocol.md`. These values
/// are part of the protocol: changing any of them breaks compatibility with
/// peers that were built against the old value.
public enum Wire {
    /// The two bytes "GS" at offset 4 of every frame, read as a big-endian `UInt16`.
    public static let magic: UInt16 = 0x4753

    /// The protocol version this module speaks. A frame with any other version
    /// still decodes as a ``Frame``, but ``Message/decode(_:)`` rejects it with
    /// ``WireError/Code/unsupportedVersion`` so the handshake can answer with a reason.
    ///
    /// Version 2 writes the elements of `f64` and `u64` arrays little-endian (version 1 wrote
    /// them big-endian, like every other number); the messages and their fields are unchanged.
    public static let protocolVersion: UInt8 = 2

    /// Bytes before the payload: length (4), magic (2), version (1), type (1), request id (4).
    public static let headerLength = 12

    /// The largest value of the length field a ``FrameDecoder`` accepts unless told
    /// otherwise (64 MiB). Senders must keep frames within the receiver's limit.
    public static let defaultMaximumFrameLength = 64 << 20

    /// Header bytes counted by the length field: magic, version, type and request id.
    /// A length field smaller than this is malformed.
    @usableFromInline static let headerRestLength = 8
}
