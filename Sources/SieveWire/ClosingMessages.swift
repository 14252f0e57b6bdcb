// The messages that end a connection: done and error.

/// Coordinator → worker: the run is over; the coordinator closes the connection next.
public struct Done: Equatable, Sendable {
    /// The run succeeded.
    public static let success: UInt8 = 0
    /// The run failed; ``message`` says why.
    public static let failed: UInt8 = 1

    /// ``success`` or ``failed``; decoding rejects any other value.
    public var status: UInt8
    /// A summary for the worker's operator.
    public var message: String

    public init(status: UInt8, message: String) {
        self.status = status
        self.message = message
    }
}

extension Done: PayloadCodable {
    @inlinable
    func encode(into writer: inout some FieldSink) {
        writer.u8(status)
        writer.string(message)
    }

    @inlinable
    init(from reader: inout ByteReader) throws {
        let status = try reader.u8("status")
        guard status == Done.success || status == Done.failed else {
            throw reader.malformed("status", "unknown status \(status) (expected 0 success or 1 failed)")
        }
        self.init(status: status, message: try reader.string("message"))
    }
}

/// Either direction, just before closing the connection on a protocol or
/// application error.
///
/// Codes 1...8 are ``WireError/wireCode`` values; 100 and above are
/// application errors defined by the sender.
public struct ErrorMessage: Equatable, Sendable {
    public var code: UInt16
    /// What went wrong, in words for the peer's operator.
    public var message: String

    public init(code: UInt16, message: String) {
        self.code = code
        self.message = message
    }

    /// The message to send when bytes from the peer failed to decode with `error`.
    public init(_ error: WireError) {
        self.init(code: error.wireCode, message: error.message)
    }

    /// ``code`` as a ``WireError/Code``, or `nil` for application codes.
    public var wireErrorCode: WireError.Code? { WireError.Code(rawValue: code) }
}

extension ErrorMessage: PayloadCodable {
    @inlinable
    func encode(into writer: inout some FieldSink) {
        writer.u16(code)
        writer.string(message)
    }

    @inlinable
    init(from reader: inout ByteReader) throws {
        self.init(code: try reader.u16("code"), message: try reader.string("message"))
    }
}
