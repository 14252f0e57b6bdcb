// Stand-ins for the two SieveCluster types JournalRecord.swift names, so that file compiles into
// the journal fuzzer on its own (the rest of SieveCluster needs libuv, swift-log and more). They
// have the stored properties and initialisers of `RunRecord.EpochRecord` (RunRecord.swift) and
// `GreedyOutcome` (CoordinatorEvents.swift); if those change, change these (the build fails
// first when JournalRecord uses something missing here).

public struct RunRecord {
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
}

public struct GreedyOutcome: Sendable, Equatable {
    public var picks: [Int]
    public var value: Double
    public init(picks: [Int], value: Double) {
        self.picks = picks
        self.value = value
    }
}
