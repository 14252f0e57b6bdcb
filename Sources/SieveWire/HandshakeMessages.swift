// The messages that open a connection: hello, welcome, reject and ready.
// `docs/protocol.md` gives the order of the conversation and each byte.

/// Worker → coordinator, the first message on every connection: who the worker is.
public struct Hello: Equatable, Sendable {
    /// A name for logs and status; not required to be unique.
    public var workerName: String
    /// The worker's product version, for logs and diagnostics.
    public var productVersion: String
    /// How many shards the worker can run at once.
    public var slots: UInt16
    /// The worker's own data path, or empty if it has none and will use the coordinator's.
    public var dataPath: String

    public init(workerName: String, productVersion: String, slots: UInt16, dataPath: String) {
        self.workerName = workerName
        self.productVersion = productVersion
        self.slots = slots
        self.dataPath = dataPath
    }
}

extension Hello: PayloadCodable {
    @inlinable
    func encode(into writer: inout some FieldSink) {
        writer.string(workerName)
        writer.string(productVersion)
        writer.u16(slots)
        writer.string(dataPath)
    }

    @inlinable
    init(from reader: inout ByteReader) throws {
        self.init(
            workerName: try reader.string("workerName"), productVersion: try reader.string("productVersion"),
            slots: try reader.u16("slots"), dataPath: try reader.string("dataPath"))
    }
}

/// Coordinator → worker, the answer to an accepted ``Hello`` (its request id
/// echoes the hello's): the worker's identity and what the run needs of it.
public struct Welcome: Equatable, Sendable {
    /// The number the coordinator knows this worker by for the rest of the run.
    public var workerID: UInt32
    /// How often the worker must send a ``Heartbeat``, in milliseconds.
    public var heartbeatMillis: UInt32
    /// Identifies the run, for logs.
    public var runID: String
    /// The coordinator's data path; the worker opens it unless it has its own.
    public var dataPath: String
    /// The data fingerprint the worker's data must have.
    public var fingerprint: UInt64
    /// The name of the selection method of the run.
    public var method: String
    /// Rows per shard in the score phase.
    public var shardRows: UInt32
    /// Rows per shard in the validation-sum phase.
    public var validationShardRows: UInt32

    public init(
        workerID: UInt32, heartbeatMillis: UInt32, runID: String, dataPath: String, fingerprint: UInt64,
        method: String, shardRows: UInt32, validationShardRows: UInt32
    ) {
        self.workerID = workerID
        self.heartbeatMillis = heartbeatMillis
        self.runID = runID
        self.dataPath = dataPath
        self.fingerprint = fingerprint
        self.method = method
        self.shardRows = shardRows
        self.validationShardRows = validationShardRows
    }
}

extension Welcome: PayloadCodable {
    @inlinable
    func encode(into writer: inout some FieldSink) {
        writer.u32(workerID)
        writer.u32(heartbeatMillis)
        writer.string(runID)
        writer.string(dataPath)
        writer.u64(fingerprint)
        writer.string(method)
        writer.u32(shardRows)
        writer.u32(validationShardRows)
    }

    @inlinable
    init(from reader: inout ByteReader) throws {
        self.init(
            workerID: try reader.u32("workerID"), heartbeatMillis: try reader.u32("heartbeatMillis"),
            runID: try reader.string("runID"), dataPath: try reader.string("dataPath"),
            fingerprint: try reader.u64("fingerprint"), method: try reader.string("method"),
            shardRows: try reader.u32("shardRows"), validationShardRows: try reader.u32("validationShardRows"))
    }
}

/// Coordinator → worker: the coordinator will not work with this worker and
/// closes the connection after sending this.
public struct Reject: Equatable, Sendable {
    /// A ``RejectCode`` raw value; kept raw so unknown codes survive decoding.
    public var code: UInt16
    /// Why, in words for the worker's operator.
    public var reason: String

    public init(code: UInt16, reason: String) {
        self.code = code
        self.reason = reason
    }

    public init(code: RejectCode, reason: String) {
        self.init(code: code.rawValue, reason: reason)
    }

    /// ``code`` as a ``RejectCode``, or `nil` if this side does not know it.
    public var rejectCode: RejectCode? { RejectCode(rawValue: code) }
}

extension Reject: PayloadCodable {
    @inlinable
    func encode(into writer: inout some FieldSink) {
        writer.u16(code)
        writer.string(reason)
    }

    @inlinable
    init(from reader: inout ByteReader) throws {
        self.init(code: try reader.u16("code"), reason: try reader.string("reason"))
    }
}

/// Worker → coordinator, after ``Welcome``: the worker opened the data and
/// verified it; this is what it found.
public struct Ready: Equatable, Sendable {
    /// The fingerprint of the data the worker opened.
    public var fingerprint: UInt64
    /// Rows in that data.
    public var rows: UInt64
    /// The dimension of the data: values per row.
    public var dimension: UInt32

    public init(fingerprint: UInt64, rows: UInt64, dimension: UInt32) {
        self.fingerprint = fingerprint
        self.rows = rows
        self.dimension = dimension
    }
}

extension Ready: PayloadCodable {
    @inlinable
    func encode(into writer: inout some FieldSink) {
        writer.u64(fingerprint)
        writer.u64(rows)
        writer.u32(dimension)
    }

    @inlinable
    init(from reader: inout ByteReader) throws {
        self.init(
            fingerprint: try reader.u64("fingerprint"), rows: try reader.u64("rows"),
            dimension: try reader.u32("dimension"))
    }
}
