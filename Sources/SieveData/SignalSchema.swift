/// The tensor layout every signals file of a pool must share, and the rules
/// one file must follow (the data contract):
///
/// - `row`: I64 [n] (required);
/// - `grad`: [n, d] in F32, F16 or BF16, d ≥ 1;
/// - `success`, `angle`: F32 [n];
/// - `rewards`: F32 [n, K], K ≥ 1.
///
/// Other tensors are allowed (and ignored) but, like the known ones, must be
/// present in every file; d, the grad dtype and K must agree across files.
struct SignalSchema: Equatable {
    var names: Set<String>
    var gradType: DType?
    var dimension: Int?
    var rewardEpochs: Int?

    /// Checks one file and returns its schema and row count n.
    static func check(_ file: SafetensorsFile) throws -> (schema: SignalSchema, rows: Int) {
        func fail(_ field: String, _ message: String) -> DataError {
            DataError(file: file.path, field: field, message: message)
        }
        guard let row = file.tensors[PoolTensor.row] else { throw fail(PoolTensor.row, "missing tensor (every signals file needs it)") }
        guard row.dtype == .i64 else { throw fail(PoolTensor.row, "dtype must be I64, not \(row.dtype.rawValue)") }
        guard row.shape.count == 1 else { throw fail(PoolTensor.row, "shape must be [n], found \(row.shapeText)") }
        let n = row.shape[0]
        var schema = SignalSchema(names: Set(file.tensors.keys))
        if let grad = file.tensors[PoolTensor.grad] {
            guard grad.dtype.isFloat else { throw fail(PoolTensor.grad, "dtype must be F32, F16 or BF16, not \(grad.dtype.rawValue)") }
            try checkMatrix(grad, rows: n, file: file)
            schema.gradType = grad.dtype
            schema.dimension = grad.shape[1]
        }
        for name in [PoolTensor.success, PoolTensor.angle] {
            guard let tensor = file.tensors[name] else { continue }
            guard tensor.dtype == .f32 else { throw fail(name, "dtype must be F32, not \(tensor.dtype.rawValue)") }
            guard tensor.shape == [n] else { throw fail(name, "shape must be [n] = [\(n)] to match row, found \(tensor.shapeText)") }
        }
        if let rewards = file.tensors[PoolTensor.rewards] {
            guard rewards.dtype == .f32 else { throw fail(PoolTensor.rewards, "dtype must be F32, not \(rewards.dtype.rawValue)") }
            try checkMatrix(rewards, rows: n, file: file)
            schema.rewardEpochs = rewards.shape[1]
        }
        return (schema, n)
    }

    /// A [n, k] tensor with n matching `row` and k ≥ 1.
    private static func checkMatrix(_ tensor: TensorInfo, rows n: Int, file: SafetensorsFile) throws {
        guard tensor.shape.count == 2 else {
            throw DataError(file: file.path, field: tensor.name, message: "shape must be [n, \(tensor.name == PoolTensor.grad ? "d" : "K")], found \(tensor.shapeText)")
        }
        guard tensor.shape[0] == n else {
            throw DataError(file: file.path, field: tensor.name, message: "has \(tensor.shape[0]) rows but row has \(n)")
        }
        guard tensor.shape[1] >= 1 else {
            throw DataError(file: file.path, field: tensor.name, message: "second dimension must be at least 1, found \(tensor.shapeText)")
        }
    }

    /// Throws unless `other` (from `file`) matches this schema (from the
    /// file called `firstName`).
    func requireSame(_ other: SignalSchema, file: String, firstName: String) throws {
        if other.names != names {
            throw DataError(file: file, message: "tensors \(Self.list(other.names)) differ from \(Self.list(names)) in \(firstName)")
        }
        if other.dimension != dimension || other.gradType != gradType {
            throw DataError(file: file, field: PoolTensor.grad,
                            message: "\(other.gradType?.rawValue ?? "?") with d = \(other.dimension ?? 0) differs from \(gradType?.rawValue ?? "?") with d = \(dimension ?? 0) in \(firstName)")
        }
        if other.rewardEpochs != rewardEpochs {
            throw DataError(file: file, field: PoolTensor.rewards,
                            message: "K = \(other.rewardEpochs ?? 0) differs from K = \(rewardEpochs ?? 0) in \(firstName)")
        }
    }

    private static func list(_ names: Set<String>) -> String {
        "[" + names.sorted().joined(separator: ", ") + "]"
    }
}
