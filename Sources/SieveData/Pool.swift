/// A pool directory, opened and fully validated: `samples.jsonl`, every
/// signals and validation header, shapes, dtypes, schema agreement between
/// files, and exact row coverage. Opening reads no gradient values (the
/// workers do that; NaN checks happen in the scoring kernels), only the
/// `row` tensors and, with `readIDs`, the sample lines.
///
/// Data access goes through `RowSegment`s: `segments(rows:)` splits a global
/// row range at file (and run) boundaries, and `gradBytes`, `signalBytes`
/// and `floats` read one segment. Returned buffers point into memory maps
/// that live as long as the pool; they may be unaligned, so read them with
/// `loadUnaligned` or `FloatBytes`. The pool is immutable and safe to share
/// between threads.
public final class Pool: Sendable {
    public let directory: String
    /// N, the number of training rows.
    public let rowCount: Int
    /// The sample ids in row order (read from samples.jsonl on demand); empty unless opened
    /// with `readIDs`.
    public let ids: SampleIDs
    /// The signals files, sorted by file name.
    public let signalFiles: [SafetensorsFile]
    /// The validation files, sorted by file name (empty without validation).
    public let validationFiles: [SafetensorsFile]
    /// Rows of the concatenated validation files; 0 without validation.
    public let validationRowCount: Int
    /// d of `grad`, or nil if the pool has no grad.
    public let dimension: Int?
    /// The dtype of the training `grad`.
    public let gradType: DType?
    /// The dtype of the validation `grad` (may differ from `gradType`).
    public let validationGradType: DType?
    /// K of `rewards`, or nil if there are no rewards.
    public let rewardEpochs: Int?
    /// The tensor names every signals file carries.
    public let tensorNames: Set<String>
    /// Identifies the pool's contents (see `PoolFingerprint`); identical
    /// whether or not ids were read.
    public let fingerprint: UInt64
    private let index: RowIndex
    private let validationIndex: RowIndex

    public var hasGrad: Bool { dimension != nil }
    public var hasSuccess: Bool { tensorNames.contains(PoolTensor.success) }
    public var hasRewards: Bool { rewardEpochs != nil }
    public var hasAngle: Bool { tensorNames.contains(PoolTensor.angle) }
    public var hasValidation: Bool { !validationFiles.isEmpty }

    /// Opens and validates the pool in `directory`. With `readIDs` (the
    /// coordinator), `samples.jsonl` is parsed and N is its line count;
    /// without (workers), N is the largest covered row + 1, and coverage must
    /// still be exact. Throws `DataError` naming the file and, where it can,
    /// the row, line and field.
    public static func open(directory: String, readIDs: Bool = true) throws -> Pool {
        try open(directory: directory, samplesPath: PoolPaths.join(directory, "samples.jsonl"), readIDs: readIDs)
    }

    /// Opens the signals of `directory` against a samples.jsonl kept elsewhere: follow mode's
    /// `DATA/epochs/NNNN/` use `DATA/samples.jsonl`.
    public static func open(directory: String, samplesPath: String, readIDs: Bool = true) throws -> Pool {
        let samples = try MemoryMappedFile(path: samplesPath)
        let ids = readIDs ? try SampleIDs(map: samples) : SampleIDs([])
        let signalsDirectory = PoolPaths.join(directory, "signals")
        let signalNames = try PoolPaths.safetensorsNames(in: signalsDirectory, required: true)
        let signalFiles = try signalNames.map { try SafetensorsFile(path: PoolPaths.join(signalsDirectory, $0)) }
        var schema: SignalSchema?
        var rowsPerFile: [Int] = []
        for file in signalFiles {
            let (fileSchema, rows) = try SignalSchema.check(file)
            try schema?.requireSame(fileSchema, file: file.path, firstName: signalFiles[0].path)
            schema = schema ?? fileSchema
            rowsPerFile.append(rows)
        }
        let index = try RowCoverage.buildIndex(files: signalFiles, rowsPerFile: rowsPerFile,
                                               expectedRows: readIDs ? ids.count : nil, signalsDirectory: signalsDirectory)
        let validationDirectory = PoolPaths.join(directory, "validation")
        let validationNames = try PoolPaths.safetensorsNames(in: validationDirectory, required: false)
        let validationFiles = try validationNames.map { try SafetensorsFile(path: PoolPaths.join(validationDirectory, $0)) }
        let validation = try ValidationSet(files: validationFiles, trainingDimension: schema!.dimension,
                                           firstSignalsFile: signalFiles[0].path)
        let fingerprint = PoolFingerprint.compute(samples: samples, signals: Array(zip(signalNames, signalFiles)),
                                                  validation: Array(zip(validationNames, validationFiles)))
        return Pool(directory: directory, ids: ids, signalFiles: signalFiles, validationFiles: validationFiles,
                    schema: schema!, index: index, validation: validation, fingerprint: fingerprint)
    }

    private init(directory: String, ids: SampleIDs, signalFiles: [SafetensorsFile], validationFiles: [SafetensorsFile],
                 schema: SignalSchema, index: RowIndex, validation: ValidationSet, fingerprint: UInt64) {
        self.directory = directory
        self.ids = ids
        self.signalFiles = signalFiles
        self.validationFiles = validationFiles
        self.index = index
        rowCount = index.rowCount
        validationIndex = RowIndex(concatenating: validation.rowsPerFile)
        validationRowCount = validationIndex.rowCount
        dimension = schema.dimension
        gradType = schema.gradType
        validationGradType = validation.gradType
        rewardEpochs = schema.rewardEpochs
        tensorNames = schema.names
        self.fingerprint = fingerprint
    }

    // MARK: Segments

    /// The training segments covering `rows` in row order, split at file and
    /// run boundaries; `fileRow` is the position within that file's tensors.
    /// Precondition: `rows` lies within `0..<rowCount`.
    public func segments(rows: Range<Int>) -> [RowSegment] {
        index.segments(rows: rows)
    }

    /// The validation segments covering `rows` of the concatenated validation
    /// files. Precondition: `rows` lies within `0..<validationRowCount`.
    public func validationSegments(rows: Range<Int>) -> [RowSegment] {
        validationIndex.segments(rows: rows)
    }

    /// The single-row segment holding training `row`.
    public func location(ofRow row: Int) -> RowSegment {
        segments(rows: row..<(row + 1))[0]
    }

    /// The path of the signals file holding training `row`, for messages.
    public func fileName(ofRow row: Int) -> String {
        signalFiles[location(ofRow: row).file].path
    }

    // MARK: Gradients

    /// Bytes per training grad row (d × dtype width); 0 without grad.
    public var gradRowByteCount: Int { (dimension ?? 0) * (gradType?.byteWidth ?? 0) }

    /// The raw little-endian bytes of the `segment.count` consecutive grad
    /// rows starting at `segment.fileRow` (`count × d` elements of
    /// `gradType`, or `validationGradType` with `validation`). A view into the
    /// map, possibly unaligned. Precondition: the pool has grad and
    /// `segment` came from `segments` (or `validationSegments`).
    public func gradBytes(_ segment: RowSegment, validation: Bool = false) -> UnsafeRawBufferPointer {
        let file = validation ? validationFiles[segment.file] : signalFiles[segment.file]
        guard let grad = file.tensors[PoolTensor.grad] else { preconditionFailure("the pool has no grad") }
        return rowSlice(file, grad, segment)
    }

    /// Tells the kernel this process is done with `bytes` (a view from `gradBytes`): the whole
    /// pages inside it leave the process's resident set (they stay in the page cache, and a
    /// later read maps them again). A worker calls it after each shard, so its memory stays
    /// bounded by the shards in flight however large the pool. Pages shared with a neighbouring
    /// range are kept.
    public func releasePages(_ bytes: UnsafeRawBufferPointer) {
        MemoryMappedFile.release(bytes)
    }

    /// The grad rows of `segment` decoded to Floats (`count × d` values).
    public func gradFloats(_ segment: RowSegment, validation: Bool = false) -> [Float] {
        let dtype = validation ? validationGradType : gradType
        return FloatBytes.decode(gradBytes(segment, validation: validation), dtype: dtype!)
    }

    // MARK: Other signals

    /// The raw bytes of training tensor `name` for the rows of `segment` (any
    /// tensor whose first dimension is the row, e.g. `row`, `success`,
    /// `rewards`), or nil if the pool has no such tensor.
    public func signalBytes(_ name: String, _ segment: RowSegment) -> UnsafeRawBufferPointer? {
        let file = signalFiles[segment.file]
        guard let tensor = file.tensors[name], !tensor.shape.isEmpty else { return nil }
        return rowSlice(file, tensor, segment)
    }

    /// How many Floats one row of the F32 signal `name` has: 1 for `success`
    /// and `angle`, K for `rewards`; nil if absent or not F32.
    public func valuesPerRow(_ name: String) -> Int? {
        guard let tensor = signalFiles[0].tensors[name], tensor.dtype == .f32, !tensor.shape.isEmpty else { return nil }
        return tensor.shape.dropFirst().reduce(1, *)
    }

    /// Appends the F32 signal `name` for the rows of `segment` to `out`
    /// (`count` values, or `count × K` row-major for `rewards`) and returns
    /// true; returns false, appending nothing, if the pool lacks it. Copies
    /// with unaligned loads, since safetensors data need not be aligned.
    @discardableResult
    public func appendFloats(_ name: String, _ segment: RowSegment, to out: inout [Float]) -> Bool {
        guard valuesPerRow(name) != nil, let bytes = signalBytes(name, segment) else { return false }
        FloatBytes.append(bytes, dtype: .f32, to: &out)
        return true
    }

    /// The F32 signal `name` for the rows of `segment` (see `appendFloats`),
    /// or nil if the pool lacks it.
    public func floats(_ name: String, _ segment: RowSegment) -> [Float]? {
        var out: [Float] = []
        return appendFloats(name, segment, to: &out) ? out : nil
    }

    /// The values of F32 signal `name` for one training row (K for
    /// `rewards`, 1 otherwise), or nil if the pool lacks it.
    public func floats(_ name: String, row: Int) -> [Float]? {
        floats(name, location(ofRow: row))
    }

    /// The value of a one-per-row F32 signal (`success`, `angle`) for one
    /// training row; nil if the pool lacks it or it has several per row.
    public func float(_ name: String, row: Int) -> Float? {
        guard valuesPerRow(name) == 1 else { return nil }
        return floats(name, row: row)?.first
    }

    /// The bytes of `segment`'s rows of `tensor` in `file`.
    private func rowSlice(_ file: SafetensorsFile, _ tensor: TensorInfo, _ segment: RowSegment) -> UnsafeRawBufferPointer {
        let rows = tensor.shape[0]
        precondition(segment.fileRow >= 0 && segment.count >= 0 && segment.fileRow + segment.count <= rows,
                     "segment \(segment) outside the \(rows) rows of \(file.path)")
        let rowBytes = rows == 0 ? 0 : tensor.byteCount / rows
        let all = file.bytes(tensor)
        return UnsafeRawBufferPointer(rebasing: all[(segment.fileRow * rowBytes)..<((segment.fileRow + segment.count) * rowBytes)])
    }
}
