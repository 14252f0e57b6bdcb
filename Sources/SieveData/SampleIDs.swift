#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Dispatch

/// The ids of `samples.jsonl`, checked in full but kept where they are: in the file.
///
/// Opening scans every line once, on every core (the same validating scanner and the same
/// errors as `SamplesFile.readIDs`: bad JSON, an empty line, a missing or non-string `id`, a
/// duplicate id), and keeps 8 bytes per row, the offset of the row's id in the file, instead of
/// a String per row (about 65 bytes with the duplicate table, and a second of parsing per
/// million rows, which the coordinator paid before it could start an epoch). An id is read
/// from the memory map when an output needs it: `curriculum.jsonl` reads the selected rows',
/// `scores.jsonl` all of them in row order. The map's pages are released as each piece is
/// scanned, so a coordinator's resident memory does not grow with the file.
///
/// Ids checked for uniqueness by a 64-bit hash of each id: the hashes are spread over buckets by
/// their top bits and every bucket is checked in a small table, in parallel; only when two
/// hashes are equal are the ids themselves compared (in line order, so the message names the
/// same lines as a sequential reader would: the first line that repeats an earlier id).
///
/// Errors: the earliest line with a syntax error (or an empty line, or a bad `id`) is reported
/// first, then duplicates; both as `DataError`s naming the file, the 1-based line and the field.
public final class SampleIDs: RandomAccessCollection, @unchecked Sendable {
    // @unchecked Sendable: immutable after init; the map is read-only and lives as long as self.
    public typealias Index = Int
    public typealias Element = String

    private enum Storage {
        /// Offsets of each id's first content byte in the map; the top bit marks an id written
        /// with escapes (its raw bytes are not its UTF-8).
        case mapped(MemoryMappedFile, [UInt64])
        case strings([String])
    }

    private let storage: Storage
    public let count: Int
    public var startIndex: Int { 0 }
    public var endIndex: Int { count }

    private static let escapedBit: UInt64 = 1 << 63

    /// Ids held in memory (the built-in demo's, which have no samples.jsonl).
    public init(_ ids: [String]) {
        storage = .strings(ids)
        count = ids.count
    }

    /// Reads and checks `path`; throws `DataError` naming the line and field at fault.
    public convenience init(path: String) throws {
        try self.init(map: MemoryMappedFile(path: path))
    }

    /// Checks the lines of `map` (see the type's notes) and keeps it.
    public init(map: MemoryMappedFile) throws {
        let bytes = map.bytes
        let pieces = Self.pieces(of: bytes)
        // Pass 1: lines per piece, so that pass 2 knows every piece's first row and line.
        var lineCounts = [Int](repeating: 0, count: pieces.count)
        lineCounts.withUnsafeMutableBufferPointer { counts in
            let counts = SendableBuffer(counts)
            Self.forEach(pieces.count) { k in
                var lines = 0
                SamplesFile.forEachLine(UnsafeRawBufferPointer(rebasing: map.bytes[pieces[k]])) { _ in lines += 1 }
                counts.buffer[k] = lines
            }
        }
        var starts = [0]
        for lines in lineCounts { starts.append(starts.last! + lines) }
        let firstRows = starts
        let rows = firstRows.last!
        // Pass 2: every line scanned, its id located and hashed; each piece stops at its first
        // error, and the earliest piece's error is the file's first.
        var offsets = [UInt64](repeating: 0, count: rows)
        var hashes = [UInt64](repeating: 0, count: rows)
        var failures = [DataError?](repeating: nil, count: pieces.count)
        offsets.withUnsafeMutableBufferPointer { offsetBuffer in
            hashes.withUnsafeMutableBufferPointer { hashBuffer in
                failures.withUnsafeMutableBufferPointer { failureBuffer in
                    let offsetOut = SendableBuffer(offsetBuffer), hashOut = SendableBuffer(hashBuffer)
                    let failureOut = SendableBuffer(failureBuffer)
                    Self.forEach(pieces.count) { k in
                        var row = firstRows[k]
                        let piece = pieces[k], bytes = map.bytes
                        do {
                            try SamplesFile.forEachLine(UnsafeRawBufferPointer(rebasing: bytes[piece])) { line in
                                let lineStart = bytes.baseAddress!.distance(to: line.baseAddress ?? bytes.baseAddress! + piece.lowerBound)
                                let (range, escaped) = try SamplesFile.locateID(line, file: map.path, line: row + 1)
                                offsetOut.buffer[row] = UInt64(lineStart + range.lowerBound) | (escaped ? Self.escapedBit : 0)
                                hashOut.buffer[row] = escaped
                                    ? Self.hash(JSONObjectLineScanner.decodedString(line, range))
                                    : Self.hash(UnsafeRawBufferPointer(rebasing: line[range]))
                                row += 1
                            }
                        } catch let error as DataError {
                            failureOut.buffer[k] = error
                        } catch {
                            failureOut.buffer[k] = DataError(file: map.path, line: row + 1, message: "\(error)")
                        }
                        MemoryMappedFile.release(UnsafeRawBufferPointer(rebasing: bytes[piece]))
                    }
                }
            }
        }
        if let failure = failures.lazy.compactMap({ $0 }).first { throw failure }
        storage = .mapped(map, offsets)
        count = rows
        let repeated = Self.repeatedHashes(&hashes)
        hashes = []
        if !repeated.isEmpty { try checkDuplicates(among: repeated, file: map.path) }
    }

    public subscript(row: Int) -> String {
        switch storage {
        case .strings(let ids): return ids[row]
        case .mapped(let map, let offsets):
            let (start, escaped) = Self.split(offsets[row])
            if escaped {
                let line = lineContaining(start, in: map.bytes)
                return JSONObjectLineScanner.decodedString(line.bytes, (start - line.start)..<idEnd(start, in: map.bytes, escaped: true) - line.start)
            }
            return String(decoding: UnsafeRawBufferPointer(rebasing: map.bytes[start..<idEnd(start, in: map.bytes, escaped: false)]), as: UTF8.self)
        }
    }

    /// Appends `JSONText.quoted(self[row])` as UTF-8: for an id written without escapes, its
    /// bytes straight from the file (no String), which are exactly what quoting gives, since a
    /// JSON string without escapes holds no quote, backslash or control character.
    public func appendQuoted(_ row: Int, to out: inout [UInt8]) {
        switch storage {
        case .mapped(let map, let offsets):
            let (start, escaped) = Self.split(offsets[row])
            guard !escaped else { break }
            out.append(UInt8(ascii: "\""))
            out.append(contentsOf: UnsafeRawBufferPointer(rebasing: map.bytes[start..<idEnd(start, in: map.bytes, escaped: false)]))
            out.append(UInt8(ascii: "\""))
            return
        case .strings(let ids):
            var id = ids[row]
            let plain = id.withUTF8 { bytes in
                bytes.allSatisfy { $0 >= 0x20 && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") }
            }
            guard plain else { break }
            out.append(UInt8(ascii: "\""))
            id.withUTF8 { out.append(contentsOf: $0) }
            out.append(UInt8(ascii: "\""))
            return
        }
        out.append(contentsOf: JSONText.quoted(self[row]).utf8)
    }

    /// Lets the map's pages for `rows` go from the resident set once an output has read them.
    public func releasePages(rows: Range<Int>) {
        guard case .mapped(let map, let offsets) = storage, !rows.isEmpty else { return }
        let start = Self.split(offsets[rows.lowerBound]).start
        let end = rows.upperBound < count ? Self.split(offsets[rows.upperBound]).start : map.size
        MemoryMappedFile.release(UnsafeRawBufferPointer(rebasing: map.bytes[start..<end]))
    }

    // MARK: Scanning

    /// Runs `body` for 0..<count, on every core when there is more than one piece of work.
    private static func forEach(_ count: Int, _ body: @Sendable (Int) -> Void) {
        if count == 1 { body(0) } else { DispatchQueue.concurrentPerform(iterations: count, execute: body) }
    }

    /// One piece for a file under 4 MiB (not worth the threads); otherwise pieces of about
    /// 32 MiB, at least one per core. Each ends just after a newline or at the end of the file:
    /// lines never straddle two pieces.
    private static func pieces(of bytes: UnsafeRawBufferPointer) -> [Range<Int>] {
        guard !bytes.isEmpty else { return [] }
        let cores = Swift.max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        let wanted = bytes.count < (4 << 20) ? 1 : Swift.max(cores, (bytes.count + (32 << 20) - 1) / (32 << 20))
        let target = (bytes.count + wanted - 1) / wanted
        var pieces: [Range<Int>] = []
        var start = 0
        while start < bytes.count {
            var end = Swift.min(bytes.count, start + target)
            if end < bytes.count, let found = memchr(bytes.baseAddress! + end - 1, 0x0A, bytes.count - end + 1) {
                end = bytes.baseAddress!.distance(to: UnsafeRawPointer(found)) + 1
            } else {
                end = bytes.count
            }
            pieces.append(start..<end)
            start = end
        }
        return pieces
    }

    private static func split(_ offset: UInt64) -> (start: Int, escaped: Bool) {
        (Int(offset & ~escapedBit), offset & escapedBit != 0)
    }

    /// The end of the id's contents starting at `start`: its closing quote. Without escapes the
    /// first quote; with them, the first quote not escaped by an odd run of backslashes.
    private func idEnd(_ start: Int, in bytes: UnsafeRawBufferPointer, escaped: Bool) -> Int {
        var k = start
        while true {
            let found = memchr(bytes.baseAddress! + k, Int32(UInt8(ascii: "\"")), bytes.count - k)!
            let quote = bytes.baseAddress!.distance(to: UnsafeRawPointer(found))
            guard escaped else { return quote }
            var backslashes = 0
            while quote - backslashes - 1 >= start && bytes[quote - backslashes - 1] == UInt8(ascii: "\\") { backslashes += 1 }
            if backslashes % 2 == 0 { return quote }
            k = quote + 1
        }
    }

    /// The line holding byte `offset` (JSON text holds no raw newline, so it runs from the byte
    /// after the previous newline to the next).
    private func lineContaining(_ offset: Int, in bytes: UnsafeRawBufferPointer) -> (start: Int, bytes: UnsafeRawBufferPointer) {
        var start = offset
        while start > 0 && bytes[start - 1] != 0x0A { start -= 1 }
        var end = offset
        if let found = memchr(bytes.baseAddress! + offset, 0x0A, bytes.count - offset) {
            end = bytes.baseAddress!.distance(to: UnsafeRawPointer(found))
        } else {
            end = bytes.count
        }
        if end > start && bytes[end - 1] == 0x0D { end -= 1 }
        return (start, UnsafeRawBufferPointer(rebasing: bytes[start..<end]))
    }

    // MARK: Uniqueness

    private static func hash(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var hasher = WordHasher()
        hasher.combine(bytes)
        return hasher.value
    }

    private static func hash(_ text: String) -> UInt64 {
        var text = text
        return text.withUTF8 { hash(UnsafeRawBufferPointer($0)) }
    }

    /// The hash values that occur more than once (`hashes` is reordered).
    static func repeatedHashes(_ hashes: inout [UInt64]) -> Set<UInt64> {
        let n = hashes.count
        guard n > 1 else { return [] }
        // Buckets of about 4,096 hashes by the top bits, each checked in an L1-sized table.
        var bits = 0
        while bits < 20 && (n >> bits) > 4096 { bits += 1 }
        let buckets = 1 << bits
        let bucket = { (h: UInt64) -> Int in bits == 0 ? 0 : Int(h >> UInt64(64 - bits)) }
        var starts = [Int](repeating: 0, count: buckets + 1)
        for h in hashes { starts[bucket(h) + 1] += 1 }
        for b in 0..<buckets { starts[b + 1] += starts[b] }
        var spread = [UInt64](repeating: 0, count: n)
        var next = starts
        let bounds = starts
        for h in hashes {
            let b = bucket(h)
            spread[next[b]] = h
            next[b] += 1
        }
        let cores = Swift.max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        let groups = n < 65_536 ? 1 : Swift.min(buckets, 4 * cores)
        var found = [[UInt64]](repeating: [], count: groups)
        spread.withUnsafeBufferPointer { all in
            found.withUnsafeMutableBufferPointer { foundBuffer in
                let foundOut = SendableBuffer(foundBuffer)
                let all = SendableReadBuffer(all)
                Self.forEach(groups) { g in
                    var table = OpenHashTable()
                    var repeats: [UInt64] = []
                    for b in stride(from: g, to: buckets, by: groups) {
                        table.reset(expected: bounds[b + 1] - bounds[b])
                        for k in bounds[b]..<bounds[b + 1] where !table.insert(all.buffer[k]) { repeats.append(all.buffer[k]) }
                    }
                    foundOut.buffer[g] = repeats
                }
            }
        }
        return Set(found.joined())
    }

    /// With some hashes repeated, compares the ids themselves in line order and throws for the
    /// first line whose id an earlier line had (two different ids may share a hash).
    private func checkDuplicates(among repeated: Set<UInt64>, file: String) throws {
        var firstLine: [String: Int] = [:]
        for row in 0..<count {
            let id = self[row]
            guard repeated.contains(Self.hash(id)) else { continue }
            if let first = firstLine[id] {
                throw DataError(file: file, line: row + 1, field: "id",
                                message: "duplicate id \(JSONText.quoted(id)) (first seen at line \(first))")
            }
            firstLine[id] = row + 1
        }
    }
}

/// A set of 64-bit values by open addressing (linear probing), reused bucket after bucket.
/// Zero marks an empty slot, so the value zero is tracked apart.
private struct OpenHashTable {
    private var slots: [UInt64] = []
    private var mask = 0
    private var hasZero = false

    mutating func reset(expected: Int) {
        var size = 16
        while size < 2 * expected { size *= 2 }
        if slots.count != size {
            slots = [UInt64](repeating: 0, count: size)
        } else {
            slots.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
        }
        mask = size - 1
        hasZero = false
    }

    /// Adds `value`; false if it was there already.
    mutating func insert(_ value: UInt64) -> Bool {
        if value == 0 {
            defer { hasZero = true }
            return !hasZero
        }
        var k = Int(truncatingIfNeeded: value) & mask
        while true {
            let slot = slots[k]
            if slot == 0 { slots[k] = value; return true }
            if slot == value { return false }
            k = (k + 1) & mask
        }
    }
}

/// A buffer written by `concurrentPerform`'s iterations, each at its own indices only, and read
/// after it returns: the reason the unchecked Sendable holds.
struct SendableBuffer<T>: @unchecked Sendable {
    let buffer: UnsafeMutableBufferPointer<T>
    init(_ buffer: UnsafeMutableBufferPointer<T>) { self.buffer = buffer }
}

/// A buffer only read by `concurrentPerform`'s iterations.
struct SendableReadBuffer<T>: @unchecked Sendable {
    let buffer: UnsafeBufferPointer<T>
    init(_ buffer: UnsafeBufferPointer<T>) { self.buffer = buffer }
}
