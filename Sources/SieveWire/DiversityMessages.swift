// The messages of the representativeness step (GreeDi round 1): assignPart and partPicks.

/// Coordinator → worker: run the facility-location greedy on one part of the candidates.
///
/// The parts are fixed by the data (never by the worker count), so any worker may run any
/// part; `attempt` plays the same role as in ``Assignment``.
public struct PartAssignment: Equatable, Sendable {
    public var epoch: UInt32
    public var part: UInt32
    public var attempt: UInt32
    /// How many rows the greedy picks from this part.
    public var budget: UInt32
    /// The part's candidate rows, ascending.
    public var rows: [UInt64]

    public init(epoch: UInt32, part: UInt32, attempt: UInt32, budget: UInt32, rows: [UInt64]) {
        self.epoch = epoch
        self.part = part
        self.attempt = attempt
        self.budget = budget
        self.rows = rows
    }
}

extension PartAssignment: PayloadCodable {
    @inlinable
    func encode(into writer: inout some FieldSink) {
        writer.u32(epoch)
        writer.u32(part)
        writer.u32(attempt)
        writer.u32(budget)
        writer.u64Array(rows)
    }

    @inlinable
    init(from reader: inout ByteReader) throws {
        self.init(epoch: try reader.u32("epoch"), part: try reader.u32("part"), attempt: try reader.u32("attempt"),
                  budget: try reader.u32("budget"), rows: try reader.u64Array("rows"))
    }
}

/// Worker → coordinator: the rows the greedy picked from one part, in pick order, and the
/// facility-location value they reach on that part.
public struct PartPicks: Equatable, Sendable {
    public var epoch: UInt32
    public var part: UInt32
    public var attempt: UInt32
    public var picks: [UInt64]
    public var value: Double

    public init(epoch: UInt32, part: UInt32, attempt: UInt32, picks: [UInt64], value: Double) {
        self.epoch = epoch
        self.part = part
        self.attempt = attempt
        self.picks = picks
        self.value = value
    }
}

extension PartPicks: PayloadCodable {
    @inlinable
    func encode(into writer: inout some FieldSink) {
        writer.u32(epoch)
        writer.u32(part)
        writer.u32(attempt)
        writer.u64Array(picks)
        writer.f64(value)
    }

    @inlinable
    init(from reader: inout ByteReader) throws {
        self.init(epoch: try reader.u32("epoch"), part: try reader.u32("part"), attempt: try reader.u32("attempt"),
                  picks: try reader.u64Array("picks"), value: try reader.f64("value"))
    }
}
