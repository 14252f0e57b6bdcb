import ArgumentParser
import Foundation
import Synchronization
import SieveData
import SieveKernels

/// The fused dot + squared-norm kernel against a STREAM-style read of the same bytes, on one
/// thread and on all of them, with the rows read straight from a pool's memory map (`--data`)
/// or from heap buffers.
struct BenchKernels: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kernels",
        abstract: "Fused dot+norm kernel throughput against a STREAM-style read of the same bytes.")

    @Option(help: "A pool whose grad rows to read from its memory map (repeatable); without it, heap buffers.")
    var data: [String] = []

    @Option(help: "Heap mode: rows per buffer.")
    var rows: Int = 262_144

    @Option(help: "Heap mode: dimension d.")
    var dim: Int = 1024

    @Option(help: "Heap mode: dtypes, comma-separated (f32, f16, bf16).")
    var dtypes: String = "f32,f16,bf16"

    @Option(help: "Threads for the multi-threaded figures (default: every core).")
    var threads: Int = ProcessInfo.processInfo.activeProcessorCount

    @Option(help: "Runs of each measurement.")
    var repeats: Int = 7

    @Option(help: "References per pass (1: the scoring kernel; more: several dots in one pass).")
    var references: Int = 1

    @Flag(help: "Also measure the portable (non-AVX2) path on one thread.")
    var portable = false

    func validate() throws {
        guard threads > 0, repeats > 0, rows > 0, dim > 0, references > 0 else {
            throw ValidationError("--threads, --repeats, --rows, --dim and --references must be positive")
        }
    }

    func run() throws {
        BenchReport.note("kernel path: \(RowKernels.path); \(ProcessInfo.processInfo.activeProcessorCount) cores")
        var sources: [RowSource] = []
        if data.isEmpty {
            for name in dtypes.split(separator: ",") {
                guard let type = BenchKernels.elementType(String(name)) else { throw ValidationError("unknown dtype \(name)") }
                sources.append(RowSource.heap(rows: rows, dimension: dim, type: type))
            }
        } else {
            for path in data { sources.append(try RowSource.pool(path)) }
        }
        for source in sources { measure(source) }
    }

    static func elementType(_ name: String) -> ElementType? {
        switch name.lowercased() {
        case "f32": return .float32
        case "f16": return .float16
        case "bf16": return .bfloat16
        default: return nil
        }
    }

    private func measure(_ source: RowSource) {
        let label = "\(source.typeName) d=\(source.dimension) \(source.origin)"
        let gigabytes = Double(source.byteCount) / 1e9
        BenchReport.note("\(label): \(source.rowCount) rows, \(String(format: "%.2f", gigabytes)) GB")
        var reference = [Float](repeating: 0, count: source.dimension * references)
        var generator = SplitMix64(seed: 42)
        for j in reference.indices { reference[j] = Float(Double(generator.next() >> 11) / Double(1 << 53) * 2 - 1) }
        // A first pass maps every page (and reads the file into the page cache), untimed.
        _ = source.streamRead(threads: threads)

        for threadCount in Set([1, threads]).sorted() {
            var streamTimes: [Double] = [], kernelTimes: [Double] = []
            var checksum = 0.0
            // Alternate the two so that a change in the machine's load hits both alike.
            for _ in 0..<repeats {
                streamTimes.append(BenchClock.time { _ = source.streamRead(threads: threadCount) })
                kernelTimes.append(BenchClock.time { checksum += source.fusedPass(reference: reference, threads: threadCount) })
            }
            let name = "\(label) threads=\(threadCount)"
            BenchReport.rate("stream-read \(name)", amount: gigabytes, seconds: streamTimes, unit: "GB/s")
            BenchReport.rate("kernel \(name) refs=\(references)", amount: gigabytes, seconds: kernelTimes, unit: "GB/s",
                             note: "\(String(format: "%.3g", Double(source.rowCount) / (kernelTimes.min() ?? 1))) rows/s")
            let ratio = (streamTimes.min() ?? 1) / (kernelTimes.min() ?? 1)
            let medianRatio = BenchClock.median(streamTimes) / BenchClock.median(kernelTimes)
            BenchReport.result("kernel/stream \(name)", best: ratio, median: medianRatio, unit: "x",
                               note: "checksum \(String(format: "%.6g", checksum / Double(repeats)))")
        }
        if portable {
            let was = RowKernels.path
            RowKernels.usePath("portable")
            var times: [Double] = []
            for _ in 0..<max(1, repeats / 2) {
                times.append(BenchClock.time { _ = source.fusedPass(reference: reference, threads: 1) })
            }
            RowKernels.usePath(was)
            BenchReport.rate("kernel-portable \(label) threads=1", amount: gigabytes, seconds: times, unit: "GB/s")
        }
    }
}

/// Rows to stream through the kernels: contiguous blocks of one element type.
/// `@unchecked Sendable` holds because the rows are only read once the source is built, and
/// `owner` (a heap buffer or a pool's read-only maps) is never mutated after that.
struct RowSource: @unchecked Sendable {
    struct Block: @unchecked Sendable {
        let base: UnsafeRawPointer
        let rows: Int
    }

    let type: ElementType
    let dimension: Int
    let origin: String
    /// Blocks of at most `chunkRows` rows, in row order.
    let blocks: [Block]
    /// Keeps a heap buffer or a pool (and so its memory maps) alive.
    let owner: AnyObject

    static let chunkRows = 4096

    var rowCount: Int { blocks.reduce(0) { $0 + $1.rows } }
    var rowBytes: Int { dimension * type.byteWidth }
    var byteCount: Int { rowCount * rowBytes }
    var typeName: String {
        switch type {
        case .float32: return "f32"
        case .float16: return "f16"
        case .bfloat16: return "bf16"
        }
    }

    /// Every grad row of the pool at `path`, read from its memory maps.
    static func pool(_ path: String) throws -> RowSource {
        let pool = try Pool.open(directory: path, readIDs: false)
        guard let dimension = pool.dimension, let dtype = pool.gradType else {
            throw ValidationError("the pool at \(path) has no grad tensor")
        }
        let type: ElementType = dtype == .f16 ? .float16 : dtype == .bf16 ? .bfloat16 : .float32
        var blocks: [Block] = []
        for segment in pool.segments(rows: 0..<pool.rowCount) {
            let bytes = pool.gradBytes(segment)
            for start in stride(from: 0, to: segment.count, by: chunkRows) {
                blocks.append(Block(base: bytes.baseAddress! + start * dimension * type.byteWidth,
                                    rows: min(chunkRows, segment.count - start)))
            }
        }
        return RowSource(type: type, dimension: dimension, origin: "mmap", blocks: blocks, owner: pool)
    }

    /// `rows` rows of pseudo-random values in [-1, 1) on the heap.
    static func heap(rows: Int, dimension: Int, type: ElementType) -> RowSource {
        let buffer = HeapBuffer(byteCount: rows * dimension * type.byteWidth)
        let count = rows * dimension
        runOnThreads(ProcessInfo.processInfo.activeProcessorCount) { thread in
            let threads = ProcessInfo.processInfo.activeProcessorCount
            let range = (count * thread / threads)..<(count * (thread + 1) / threads)
            var generator = SplitMix64(seed: UInt64(thread + 1))
            for index in range {
                let value = Float(Double(generator.next() >> 11) / Double(1 << 53) * 2 - 1)
                switch type {
                case .float32: buffer.pointer.storeBytes(of: value, toByteOffset: index * 4, as: Float.self)
                case .float16: buffer.pointer.storeBytes(of: Float16(value).bitPattern, toByteOffset: index * 2, as: UInt16.self)
                case .bfloat16: buffer.pointer.storeBytes(of: UInt16(value.bitPattern >> 16), toByteOffset: index * 2, as: UInt16.self)
                }
            }
        }
        let rowBytes = dimension * type.byteWidth
        let blocks = stride(from: 0, to: rows, by: chunkRows).map {
            Block(base: UnsafeRawPointer(buffer.pointer) + $0 * rowBytes, rows: min(chunkRows, rows - $0))
        }
        return RowSource(type: type, dimension: dimension, origin: "heap", blocks: blocks, owner: buffer)
    }

    /// Calls `body` with blocks in row order, each block once, on `threads` threads that claim
    /// the next block as they finish one: a thread slowed by another process on the machine
    /// takes fewer blocks instead of holding up the pass.
    func forEachBlock(threads: Int, _ body: @escaping (Int, Block) -> Void) {
        let next = BlockCounter()
        // `runOnThreads` joins every thread before it returns; each thread passes the body its
        // own thread index, and the bodies here write only that thread's slots.
        let shared = JoinedThreads(body)
        runOnThreads(threads) { thread in
            while let index = next.claim(below: blocks.count) { shared.value(thread, blocks[index]) }
        }
    }

    /// STREAM-style read of every byte, split over `threads`.
    func streamRead(threads: Int) -> UInt64 {
        let sums = ResultSlots<UInt64>(count: threads, initial: 0)
        let rowBytes = self.rowBytes
        forEachBlock(threads: threads) { thread, block in
            let sum = RowKernels.streamRead(UnsafeRawBufferPointer(start: block.base, count: block.rows * rowBytes))
            sums[thread] = sums[thread] &+ sum
        }
        return sums.values.reduce(0, &+)
    }

    /// One fused dot+norm pass over every row, split over `threads`; returns a checksum.
    func fusedPass(reference: [Float], threads: Int) -> Double {
        let sums = ResultSlots<Double>(count: threads, initial: 0)
        let k = reference.count / dimension
        let outputs = (0..<threads).map { _ in
            (UnsafeMutableBufferPointer<Double>.allocate(capacity: RowSource.chunkRows * k),
             UnsafeMutableBufferPointer<Double>.allocate(capacity: RowSource.chunkRows))
        }
        defer { for (dots, norms) in outputs { dots.deallocate(); norms.deallocate() } }
        let dimension = self.dimension, type = self.type
        reference.withUnsafeBufferPointer { ref in
            forEachBlock(threads: threads) { thread, block in
                let (dots, norms) = outputs[thread]
                RowKernels.dotsAndSquaredNorms(rows: block.base, count: block.rows, dimension: dimension, type: type,
                                               references: ref, dots: dots, squaredNorms: norms)
                sums[thread] = sums[thread] + dots[0] + norms[block.rows - 1]
            }
        }
        return sums.values.reduce(0, +)
    }
}

/// Page-aligned heap memory that lives as long as the object. `@unchecked Sendable` holds
/// because the threads that fill it (`RowSource.heap`) write disjoint ranges and are joined
/// before anything reads it.
final class HeapBuffer: @unchecked Sendable {
    let pointer: UnsafeMutableRawPointer
    init(byteCount: Int) {
        pointer = UnsafeMutableRawPointer.allocate(byteCount: max(byteCount, 1), alignment: 4096)
    }
    deinit { pointer.deallocate() }
}

/// Hands out block indices 0, 1, 2, ... to whichever thread asks next.
final class BlockCounter: Sendable {
    private let next = Mutex(0)
    func claim(below count: Int) -> Int? {
        next.withLock { next in
            guard next < count else { return nil }
            next += 1
            return next - 1
        }
    }
}

/// One result slot per thread, written by that thread only.
final class ResultSlots<T: Sendable>: Sendable {
    private let storage: Mutex<[T]>
    init(count: Int, initial: T) { storage = Mutex([T](repeating: initial, count: count)) }
    subscript(index: Int) -> T {
        get { storage.withLock { $0[index] } }
        set { storage.withLock { $0[index] = newValue } }
    }
    var values: [T] { storage.withLock { $0 } }
}

/// A value the threads of one `runOnThreads` call share. `@unchecked Sendable` holds only where
/// the call site says why: `runOnThreads` returns after every thread finished, and each thread
/// touches only what belongs to its own index.
struct JoinedThreads<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
