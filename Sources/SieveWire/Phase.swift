/// Which phase of an epoch an ``Assignment`` belongs to (the `u8` `assign.phase`).
public enum Phase: UInt8, Sendable, CaseIterable {
    /// Sum per-row gradients over validation rows; answered with ``PartialSum``.
    case validationSum = 1
    /// Score training rows against the ``Reference`` vector; answered with ``ShardScores``.
    case score = 2
    /// Sum a per-row quantity over training rows (learnalign's weighted unit gradients, limr's
    /// rewards per epoch); answered with ``PartialSum``.
    case trainingSum = 3
}
