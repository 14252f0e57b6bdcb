// The messages of a running epoch: heartbeat, reference, assign, partialSum,
// scores, shardFailed and curriculum. `docs/protocol.md` gives the phases of an
// epoch and each byte.

/// Worker → coordinator, every `Welcome.heartbeatMillis`: the worker is alive.
public struct Heartbeat: Equatable, Sendable {
    /// Shards the worker is running now.
    public var shardsInFlight: UInt16

    public init(shardsInFlight: UInt16) {
        self.shardsInFlight = shardsInFlight
    }
}

extension Heartbeat: PayloadCodable {
    @inlinable static var fixedPayloadSize: Int? { 2 }  // shardsInFlight

    @inlinable
    func encode(into writer: inout some FieldSink) {
        writer.u16(shardsInFlight)
    }

    @inlinable
    init(from reader: inout ByteReader) throws {
        self.init(shardsInFlight: try reader.u16("shardsInFlight"))
    }
}

/// Coordinator → worker, between the two phases of an epoch: the reduced
/// reference vector (for example the validation gradient sum) that score
/// shards of `epoch` are computed against.
public struct Reference: Equatable, Sendable {
    public var epoch: UInt32
    public var vector: [Double]

    public init(epoch: UInt32, vector: [Double]) {
        self.epoch = epoch
        self.vector = vector
    }
}

extension Reference: PayloadCodable {
    @inlinable
    func encode(into writer: inout some FieldSink) {
        writer.u32(epoch)
        writer.f64Array(vector)
    }

    @inlinable
    init(from reader: inout ByteReader) throws {
        self.init(epoch: try reader.u32("epoch"), vector: try reader.f64Array("vector"))
    }
}

/// Coordinator → worker: run one shard, rows `rowStart ..< rowStart + rowCount`.
///
/// `attempt` counts retries of the same shard; the worker copies epoch, shard
/// and attempt into its answer so stale answers can be recognised.
public struct Assignment: Equatable, Sendable {
    public var epoch: UInt32
    public var phase: Phase
    public var shard: UInt32
    public var attempt: UInt32
    public var rowStart: UInt64
    public var rowCount: UInt32

    public init(epoch: UInt32, phase: Phase, shard: UInt32, attempt: UInt32, rowStart: UInt64, rowCount: UInt32) {
        self.epoch = epoch
        self.phase = phase
        self.shard = shard
        self.attempt = attempt
        self.rowStart = rowStart
        self.rowCount = rowCount
    }
}

extension Assignment: PayloadCodable {
    @inlinable static var fixedPayloadSize: Int? { 25 }  // epoch, phase, shard, attempt, rowStart, rowCount

    @inlinable
    func encode(into writer: inout some FieldSink) {
        writer.u32(epoch)
        writer.u8(phase.rawValue)
        writer.u32(shard)
        writer.u32(attempt)
        writer.u64(rowStart)
        writer.u32(rowCount)
    }

    @inlinable @inline(__always)  // read where the reader lives, in the frame decoder's loop
    init(from reader: inout ByteReader) throws {
        let epoch = try reader.u32("epoch")
        let rawPhase = try reader.u8("phase")
        guard let phase = Phase(rawValue: rawPhase) else {
            throw reader.malformed("phase", "unknown phase \(rawPhase) (expected 1 validationSum, 2 score or 3 trainingSum)")
        }
        self.init(
            epoch: epoch, phase: phase, shard: try reader.u32("shard"), attempt: try reader.u32("attempt"),
            rowStart: try reader.u64("rowStart"), rowCount: try reader.u32("rowCount"))
    }
}

/// Worker → coordinator, the answer to a validation-sum ``Assignment``: the
/// sum over the shard's `rowCount` rows.
public struct PartialSum: Equatable, Sendable {
    public var epoch: UInt32
    public var shard: UInt32
    public var attempt: UInt32
    public var rowCount: UInt64
    public var sum: [Double]

    public init(epoch: UInt32, shard: UInt32, attempt: UInt32, rowCount: UInt64, sum: [Double]) {
        self.epoch = epoch
        self.shard = shard
        self.attempt = attempt
        self.rowCount = rowCount
        self.sum = sum
    }
}

extension PartialSum: PayloadCodable {
    @inlinable
    func encode(into writer: inout some FieldSink) {
        writer.u32(epoch)
        writer.u32(shard)
        writer.u32(attempt)
        writer.u64(rowCount)
        writer.f64Array(sum)
    }

    @inlinable
    init(from reader: inout ByteReader) throws {
        self.init(
            epoch: try reader.u32("epoch"), shard: try reader.u32("shard"), attempt: try reader.u32("attempt"),
            rowCount: try reader.u64("rowCount"), sum: try reader.f64Array("sum"))
    }
}

/// Worker → coordinator, the answer to a score ``Assignment``: a table of
/// `rowCount` rows by `columns.count` columns, row-major in `values`.
///
/// Column 0 is the score; further columns are extra per-row values the method
/// reports. There are at most 255 columns and `values.count` must equal
/// `rowCount × columns.count`; encoding traps otherwise, decoding throws.
public struct ShardScores: Equatable, Sendable {
    public var epoch: UInt32
    public var shard: UInt32
    public var attempt: UInt32
    public var rowStart: UInt64
    public var rowCount: UInt32
    public var columns: [String]
    public var values: [Double]

    public init(
        epoch: UInt32, shard: UInt32, attempt: UInt32, rowStart: UInt64, rowCount: UInt32, columns: [String],
        values: [Double]
    ) {
        self.epoch = epoch
        self.shard = shard
        self.attempt = attempt
        self.rowStart = rowStart
        self.rowCount = rowCount
        self.columns = columns
        self.values = values
    }
}

extension ShardScores: PayloadCodable {
    @inlinable
    func encode(into writer: inout some FieldSink) {
        precondition(columns.count <= Int(UInt8.max), "scores has \(columns.count) columns; at most 255 fit")
        precondition(
            values.count == Int(rowCount) * columns.count,
            "scores has \(values.count) values for \(rowCount) rows × \(columns.count) columns")
        writer.u32(epoch)
        writer.u32(shard)
        writer.u32(attempt)
        writer.u64(rowStart)
        writer.u32(rowCount)
        writer.u8(UInt8(columns.count))
        for column in columns { writer.string(column) }
        writer.f64Array(values)
    }

    @inlinable
    init(from reader: inout ByteReader) throws {
        let epoch = try reader.u32("epoch"), shard = try reader.u32("shard"), attempt = try reader.u32("attempt")
        let rowStart = try reader.u64("rowStart"), rowCount = try reader.u32("rowCount")
        let columnCount = Int(try reader.u8("columns"))
        var columns: [String] = []
        for index in 0..<columnCount { columns.append(try reader.string("columns[\(index)]")) }
        let values = try reader.f64Array("values")
        let expected = Int(rowCount) * columnCount
        guard values.count == expected else {
            throw reader.malformed(
                "values", "\(values.count) values for \(rowCount) rows × \(columnCount) columns (expected \(expected))")
        }
        self.init(
            epoch: epoch, shard: shard, attempt: attempt, rowStart: rowStart, rowCount: rowCount, columns: columns,
            values: values)
    }
}

/// Worker → coordinator, the answer to an ``Assignment`` the worker could not
/// complete. The coordinator may assign the shard again with a higher attempt.
public struct ShardFailure: Equatable, Sendable {
    public var epoch: UInt32
    public var shard: UInt32
    public var attempt: UInt32
    /// What went wrong, in words for the operator.
    public var reason: String

    public init(epoch: UInt32, shard: UInt32, attempt: UInt32, reason: String) {
        self.epoch = epoch
        self.shard = shard
        self.attempt = attempt
        self.reason = reason
    }
}

extension ShardFailure: PayloadCodable {
    @inlinable
    func encode(into writer: inout some FieldSink) {
        writer.u32(epoch)
        writer.u32(shard)
        writer.u32(attempt)
        writer.string(reason)
    }

    @inlinable
    init(from reader: inout ByteReader) throws {
        self.init(
            epoch: try reader.u32("epoch"), shard: try reader.u32("shard"), attempt: try reader.u32("attempt"),
            reason: try reader.string("reason"))
    }
}

/// Coordinator → worker, at the end of an epoch: the rows selected and their
/// scores, pairwise (`rows[i]` has `scores[i]`). The two arrays must have the
/// same count; encoding traps otherwise, decoding throws.
public struct CurriculumMessage: Equatable, Sendable {
    public var epoch: UInt32
    public var rows: [UInt64]
    public var scores: [Double]

    public init(epoch: UInt32, rows: [UInt64], scores: [Double]) {
        self.epoch = epoch
        self.rows = rows
        self.scores = scores
    }
}

extension CurriculumMessage: PayloadCodable {
    @inlinable
    func encode(into writer: inout some FieldSink) {
        precondition(rows.count == scores.count, "curriculum has \(rows.count) rows but \(scores.count) scores")
        writer.u32(epoch)
        writer.u64Array(rows)
        writer.f64Array(scores)
    }

    @inlinable
    init(from reader: inout ByteReader) throws {
        let epoch = try reader.u32("epoch")
        let rows = try reader.u64Array("rows")
        let scores = try reader.f64Array("scores")
        guard rows.count == scores.count else {
            throw reader.malformed("scores", "\(scores.count) scores for \(rows.count) rows (expected the same count)")
        }
        self.init(epoch: epoch, rows: rows, scores: scores)
    }
}
