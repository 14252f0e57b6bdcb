/// Why the coordinator refused a worker (the `u16` `reject.code`).
///
/// ``Reject/code`` stays a plain `UInt16` so that a worker can report codes
/// added by a newer coordinator; use ``Reject/rejectCode`` to interpret it.
public enum RejectCode: UInt16, Sendable, CaseIterable {
    /// The hello frame carried a protocol version the coordinator does not speak.
    case unsupportedProtocolVersion = 1
    /// The first message on the connection was not a hello.
    case badHandshake = 2
    /// The run has finished or is finishing; no more workers are taken.
    case runOver = 3
    /// The worker's data does not match the coordinator's (fingerprint differs).
    case dataMismatch = 4
    /// The coordinator already has as many connections as it accepts.
    case tooManyConnections = 5
    /// The worker is not allowed to join this run.
    case unauthorized = 6
}
