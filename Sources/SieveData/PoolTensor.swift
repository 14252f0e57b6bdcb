/// The tensor names of the pool data contract.
public enum PoolTensor {
    /// I64 [n]: the global rows a signals file covers, position by position.
    public static let row = "row"
    /// [n, d] in F32, F16 or BF16: per-row gradient signals.
    public static let grad = "grad"
    /// F32 [n]: success rate in [0, 1].
    public static let success = "success"
    /// F32 [n, K]: success rate in each of K earlier epochs.
    public static let rewards = "rewards"
    /// F32 [n]: a per-row angle signal.
    public static let angle = "angle"

    /// The per-row F32 signals (the ones `Pool.floats` reads).
    public static let floatSignals: [String] = [success, rewards, angle]
}
