import SieveCore
import SieveData

/// Reads the small per-row signals of a segment and checks their values, so a bad value is
/// reported with its file, row and field instead of skewing a ranking.
enum SignalCheck {
    static func floats(_ pool: SignalSource, _ name: String, _ segment: RowSegment) throws -> [Float] {
        guard let values = try pool.signal(name, segment) else {
            throw DataError(file: pool.origin(of: segment, validation: false), row: segment.row, field: name, message: "tensor is missing")
        }
        return values
    }

    /// `success` values, each a rate in [0, 1].
    static func successRates(_ pool: SignalSource, _ segment: RowSegment) throws -> [Float] {
        try unitInterval(pool, "success", segment, perRow: 1)
    }

    /// `success` values read alone (`SignalSource.successOnly`), each a rate in [0, 1].
    static func successOnly(_ pool: SignalSource, _ segment: RowSegment) throws -> [Float] {
        guard let values = try pool.successOnly(segment) else {
            throw DataError(file: pool.origin(of: segment, validation: false), row: segment.row, field: "success", message: "tensor is missing")
        }
        return try checkUnitInterval(pool, "success", segment, values, perRow: 1)
    }

    /// `rewards` values, K per row, each a rate in [0, 1].
    static func rewards(_ pool: SignalSource, _ segment: RowSegment) throws -> [Float] {
        try unitInterval(pool, "rewards", segment, perRow: max(pool.rewardEpochs ?? 1, 1))
    }

    /// `angle` values, finite.
    static func angles(_ pool: SignalSource, _ segment: RowSegment) throws -> [Float] {
        let values = try floats(pool, "angle", segment)
        if let bad = values.firstIndex(where: { !$0.isFinite }) {
            throw DataError(file: pool.origin(of: segment, validation: false), row: segment.row + bad, field: "angle",
                            message: "value is NaN or infinite")
        }
        return values
    }

    private static func unitInterval(_ pool: SignalSource, _ name: String, _ segment: RowSegment, perRow: Int) throws -> [Float] {
        try checkUnitInterval(pool, name, segment, try floats(pool, name, segment), perRow: perRow)
    }

    private static func checkUnitInterval(_ pool: SignalSource, _ name: String, _ segment: RowSegment, _ values: [Float],
                                          perRow: Int) throws -> [Float] {
        if let bad = values.firstIndex(where: { !($0 >= 0 && $0 <= 1) }) {
            throw DataError(file: pool.origin(of: segment, validation: false), row: segment.row + bad / perRow, field: name,
                            message: "\(values[bad]) is not a rate in [0, 1]")
        }
        return values
    }
}
