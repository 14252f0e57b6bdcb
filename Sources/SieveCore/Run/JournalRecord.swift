import SieveWire

/// What the coordinator writes to `OUT/journal.gsj`, one record per finished unit of work, so a
/// run killed at any point resumes without recomputing what was done.
///
/// Payload layout (inside the journal's length + CRC frame): one kind byte, then
/// - 1 `header`: UTF-8 `key=value` lines identifying the run (method, parameters, data);
/// - 2 `result`: a whole wire frame (`partialSum`, `scores` or `partPicks`), exactly as a worker
///   sent it, so the journal needs no codec of its own;
/// - 3 `epochWritten`: UTF-8 `key=value` lines: the epoch's run.json entry and GAIN-RL's next mu;
/// - 4 `finalGreedy`: epoch (u32), value (f64), count (u32), picks (u64 each), all BE.
public enum JournalRecord: Equatable, Sendable {
    case header([String: String])
    case result(Message)
    case epochWritten(EpochRecord, nextMu: Double)
    case finalGreedy(epoch: Int, outcome: GreedyOutcome)

    public func encoded() -> [UInt8] {
        switch self {
        case let .header(fields):
            return [1] + Self.lines(fields)
        case let .result(message):
            return [2] + message.encoded(requestID: 0)
        case let .epochWritten(record, nextMu):
            var fields = ["epoch": "\(record.epoch)", "selected": "\(record.selected)", "next_mu": "\(nextMu.bitPattern)"]
            fields["reference_norm"] = record.referenceNorm.map { "\($0.bitPattern)" }
            fields["facility_location_value"] = record.facilityLocationValue.map { "\($0.bitPattern)" }
            fields["gainrl_mu"] = record.gainrlMu.map { "\($0.bitPattern)" }
            return [3] + Self.lines(fields)
        case let .finalGreedy(epoch, outcome):
            var bytes: [UInt8] = [4]
            append(UInt32(epoch), &bytes)
            append(outcome.value.bitPattern, &bytes)
            append(UInt32(outcome.picks.count), &bytes)
            for pick in outcome.picks { append(UInt64(pick), &bytes) }
            return bytes
        }
    }

    /// Decodes a record; nil for bytes that are not one (a journal from another program).
    public static func decode(_ bytes: [UInt8]) -> JournalRecord? {
        guard let kind = bytes.first else { return nil }
        var reader = BigEndianReader(bytes: bytes, offset: 1)
        switch kind {
        case 1:
            return fields(bytes).map { .header($0) }
        case 2:
            var decoder = FrameDecoder()
            decoder.append(Array(bytes.dropFirst()))
            guard let frame = try? decoder.next(), let message = try? Message.decode(frame) else { return nil }
            return .result(message)
        case 3:
            guard let fields = fields(bytes), let epoch = fields["epoch"].flatMap({ Int($0) }),
                  let selected = fields["selected"].flatMap({ Int($0) }), let nextMu = double(fields["next_mu"]) else { return nil }
            let record = EpochRecord(epoch: epoch, selected: selected, referenceNorm: double(fields["reference_norm"]),
                                               facilityLocationValue: double(fields["facility_location_value"]),
                                               gainrlMu: double(fields["gainrl_mu"]))
            return .epochWritten(record, nextMu: nextMu)
        case 4:
            guard let epoch = reader.u32(), let value = reader.u64(), let count = reader.u32() else { return nil }
            var picks: [Int] = []
            for _ in 0..<count {
                guard let pick = reader.u64() else { return nil }
                picks.append(Int(pick))
            }
            return .finalGreedy(epoch: Int(epoch), outcome: GreedyOutcome(picks: picks, value: Double(bitPattern: value)))
        default:
            return nil
        }
    }

    private static func lines(_ fields: [String: String]) -> [UInt8] {
        Array(fields.keys.sorted().map { "\($0)=\(fields[$0]!)\n" }.joined().utf8)
    }

    private static func fields(_ bytes: [UInt8]) -> [String: String]? {
        var fields: [String: String] = [:]
        for line in String(decoding: bytes.dropFirst(), as: UTF8.self).split(separator: "\n") {
            guard let equals = line.firstIndex(of: "=") else { return nil }
            fields[String(line[..<equals])] = String(line[line.index(after: equals)...])
        }
        return fields
    }

    /// Doubles travel as their bit patterns so they come back exactly.
    private static func double(_ text: String?) -> Double? {
        text.flatMap { UInt64($0) }.map { Double(bitPattern: $0) }
    }

    private func append<T: FixedWidthInteger>(_ value: T, _ bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.bigEndian) { bytes += $0 }
    }
}

private struct BigEndianReader {
    let bytes: [UInt8]
    var offset: Int

    mutating func u32() -> UInt32? { read(4).map { UInt32(truncatingIfNeeded: $0) } }
    mutating func u64() -> UInt64? { read(8) }

    private mutating func read(_ count: Int) -> UInt64? {
        guard offset + count <= bytes.count else { return nil }
        defer { offset += count }
        return bytes[offset..<(offset + count)].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
    }
}
