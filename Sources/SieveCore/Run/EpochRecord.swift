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
