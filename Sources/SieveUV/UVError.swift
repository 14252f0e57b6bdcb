import CLibUV

/// A libuv failure: the operation that failed and libuv's own name and text for the status.
public struct UVError: Error, CustomStringConvertible, Equatable, Sendable {
    public let operation: String
    public let status: Int32

    public init(_ operation: String, _ status: Int32) {
        self.operation = operation
        self.status = status
    }

    /// True when the status is libuv's end-of-stream marker: the peer closed its side cleanly.
    public var isEndOfStream: Bool { status == UV_EOF.rawValue }

    public var description: String {
        let name = String(cString: uv_err_name(status))
        let text = String(cString: uv_strerror(status))
        return "\(operation): \(text) (\(name))"
    }

    /// Throws when `status` is negative, libuv's convention for failure.
    static func check(_ status: Int32, _ operation: @autoclosure () -> String) throws {
        if status < 0 { throw UVError(operation(), status) }
    }
}
