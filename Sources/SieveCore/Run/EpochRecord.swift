/// What run.json and the journal keep of one finished epoch.
public struct EpochRecord: Sendable, Equatable {
    public var epoch: Int
    public var selected: Int
    public var referenceNorm: Double?
    public var facilityLocationValue: Double?
    public var gainrlMu: Double?
    public init(epoch: Int, selected: Int, referenceNorm: Double?, facilityLocationValue: Double? = nil, gainrlMu: Double? = nil) {
        self.epoch = epoch
        self.selected = selected
        self.referenceNorm = referenceNorm
        self.facilityLocationValue = facilityLocationValue
        self.gainrlMu = gainrlMu
    }
}

extension EpochRecord {
    /// An epoch's four-digit name, as in `OUT/epoch-NNNN/` and follow mode's `DATA/epochs/NNNN/`
    /// (more digits past 9999).
    public static func name(_ epoch: Int) -> String {
        let digits = String(epoch)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }
}
