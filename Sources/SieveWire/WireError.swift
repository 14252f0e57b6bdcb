/// Why bytes from the peer could not be understood.
///
/// Every error names what was wrong in ``message``, in words a person can act on
/// (for example `malformed field welcome.dataPath: string length 4000 exceeds
/// the 12 bytes left`). ``code`` is stable and has a stable number,
/// ``wireCode``, which an `error` message carries to the peer before the
/// connection is closed.
public struct WireError: Error, Equatable, CustomStringConvertible, Sendable {
    /// The kind of problem. Raw values are the numbers sent in `error` frames.
    public enum Code: UInt16, Sendable, CaseIterable {
        /// The length field is above the receiver's maximum frame length.
        case frameTooLarge = 1
        /// The length field is below 8, the size of the rest of the header.
        case frameTooShort = 2
        /// Bytes 4 and 5 of a frame are not "GS".
        case badMagic = 3
        /// The type byte names no message of this protocol version.
        case unknownMessageType = 4
        /// The frame carries a protocol version other than ``Wire/protocolVersion``.
        case unsupportedVersion = 5
        /// A payload field is truncated or holds a value it may not hold.
        case malformedField = 6
        /// The payload goes on after the last field of its message.
        case trailingBytes = 7
        /// A sealed frame (a connection with a cluster token, after the handshake) did not
        /// open: altered, replayed, out of order, or sealed with another key.
        case authenticationFailed = 8
    }

    /// The kind of problem.
    public let code: Code
    /// A sentence for people that says what was wrong, naming the field where there is one.
    public let message: String

    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    /// The stable number of ``code`` (1...8) sent in `error` frames.
    public var wireCode: UInt16 { code.rawValue }

    public var description: String { message }
}

extension WireError {
    public static func frameTooLarge(length: UInt64, maximum: Int) -> WireError {
        WireError(
            code: .frameTooLarge,
            message: "frame too large: length field \(length) exceeds the maximum of \(maximum) bytes")
    }

    public static func frameTooShort(length: Int) -> WireError {
        WireError(
            code: .frameTooShort,
            message: "frame too short: length field \(length) is below the \(Wire.headerRestLength) header bytes it must count")
    }

    public static func badMagic(_ found: UInt16) -> WireError {
        WireError(
            code: .badMagic,
            message: "bad magic: expected 0x4753 (\"GS\"), found \(hex(found)); the peer does not speak this protocol")
    }

    public static func unknownMessageType(_ type: UInt8) -> WireError {
        WireError(code: .unknownMessageType, message: "unknown message type \(type)")
    }

    public static func unsupportedVersion(_ version: UInt8) -> WireError {
        WireError(
            code: .unsupportedVersion,
            message: "unsupported protocol version \(version); this side speaks version \(Wire.protocolVersion)")
    }

    /// `field` is the qualified name, such as `welcome.dataPath`.
    public static func malformedField(_ field: String, _ detail: String) -> WireError {
        WireError(code: .malformedField, message: "malformed field \(field): \(detail)")
    }

    /// `messageName` is the message whose payload was too long, such as `hello`.
    public static func trailingBytes(after messageName: String, count: Int) -> WireError {
        WireError(
            code: .trailingBytes,
            message: "trailing bytes: \(count) unread bytes after the last field of \(messageName)")
    }

    /// A sealed frame that did not open; `detail` says which and why.
    public static func authenticationFailed(_ detail: String) -> WireError {
        WireError(code: .authenticationFailed, message: "authentication failed: \(detail)")
    }

    private static func hex(_ value: UInt16) -> String {
        let digits = String(value, radix: 16)
        return "0x" + String(repeating: "0", count: 4 - digits.count) + digits
    }
}
