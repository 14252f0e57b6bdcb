import SieveCore
import SieveData

/// Where a worker's per-row signals come from: a pool on disk (`Pool`, memory-mapped) or the
/// built-in policy computing them live (`LiveSignals`). The shard computations read only this.
public protocol SignalSource: AnyObject, Sendable {
    var rowCount: Int { get }
    var validationRowCount: Int { get }
    var dimension: Int? { get }
    var gradType: DType? { get }
    var validationGradType: DType? { get }
    var rewardEpochs: Int? { get }
    var tensorNames: Set<String> { get }
    var fingerprint: UInt64 { get }
    func segments(rows: Range<Int>) -> [RowSegment]
    func validationSegments(rows: Range<Int>) -> [RowSegment]
    /// The `count` grad rows of a segment, raw little-endian elements of `gradType`, valid
    /// during `body`.
    func withGradBytes<R>(_ segment: RowSegment, validation: Bool, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R
    /// A per-row F32 signal of a segment (K values per row for `rewards`); nil when absent.
    func signal(_ name: String, _ segment: RowSegment) throws -> [Float]?
    /// `success` of a segment when nothing else of its rows is wanted (limr's history): the
    /// same values as `signal("success", _:)`; a live source skips gradients and angles.
    func successOnly(_ segment: RowSegment) throws -> [Float]?
    /// What to name in an error about a row of this segment (a file path, or the live source).
    func origin(of segment: RowSegment, validation: Bool) -> String
    /// Gives back the memory of grad bytes a shard is done with (a memory map drops its pages),
    /// so a worker's footprint follows the shards in flight, not the pool.
    func releasePages(_ bytes: UnsafeRawBufferPointer)
}

extension SignalSource {
    public var hasSuccess: Bool { tensorNames.contains("success") }

    public func location(ofRow row: Int) -> RowSegment { segments(rows: row..<(row + 1))[0] }

    public func successOnly(_ segment: RowSegment) throws -> [Float]? {
        try signal("success", segment)
    }

    /// Sources that hold nothing mapped (live signals) have nothing to give back.
    public func releasePages(_ bytes: UnsafeRawBufferPointer) {}
}

extension Pool: SignalSource {
    public func withGradBytes<R>(_ segment: RowSegment, validation: Bool, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        try body(gradBytes(segment, validation: validation))
    }

    public func signal(_ name: String, _ segment: RowSegment) throws -> [Float]? {
        floats(name, segment)
    }

    public func origin(of segment: RowSegment, validation: Bool) -> String {
        validation ? validationFiles[segment.file].path : signalFiles[segment.file].path
    }
}
