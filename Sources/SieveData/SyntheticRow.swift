/// The per-row signals of one synthetic training row (everything except the
/// gradient, which is generated later, straight into the output stream).
struct SyntheticRow {
    var cluster: Int
    var zeroGrad: Bool
    var scale: Double
    var noise: Double
    var success: Float
    var rewards: [Float]
    var angle: Float
}
