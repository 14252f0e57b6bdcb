/// A message body that knows its payload encoding (``Message/type`` maps it to its type byte).
///
/// Each conforming struct writes and reads its fields in the order
/// `docs/protocol.md` gives, and nothing else: ``Message`` adds the frame
/// header on the way out and checks version, type and trailing bytes on the
/// way in. `encode(into:)` runs twice per message, once into a ``SizeCounter`` and once
/// into a ``ByteWriter`` (see ``FieldSink``), so it must write the same fields both times.
@usableFromInline
protocol PayloadCodable {
    func encode<Sink: FieldSink>(into writer: inout Sink)
    init(from reader: inout ByteReader) throws
    /// The payload's size when every field has a fixed size (nil otherwise). A payload of
    /// exactly this size is read with the size as a constant bound, so the compiler drops the
    /// per-field bounds checks; any other size is read with them, and fails as it would.
    static var fixedPayloadSize: Int? { get }
}

extension PayloadCodable {
    @inlinable static var fixedPayloadSize: Int? { nil }
}
