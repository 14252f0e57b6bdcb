// libFuzzer entry point for the run journal: JournalFile.read (the length + CRC-32 framing, the
// torn-tail rule) and JournalRecord.decode (the record kinds a resumed coordinator replays).
//
// Built by scripts/fuzz.sh with swiftc over Sources/SieveData/*.swift, JournalRecord.swift,
// EpochRecord.swift and GreedyOutcome.swift (from SieveCore, found by name under Sources/, unedited),
// fuzz/FuzzSupport.swift and this file in one module, linked with SieveWire (for the `result`
// records' frames) and a SieveKernels of SplitMix64.swift, each built as a module of its own.
//
// The input is a whole journal.gsj. Checks, each a trap when it fails:
//   1. The records are the file: re-framing them (u32 LE length, u32 LE CRC-32, payload) gives
//      exactly the first `intactLength` bytes; `droppedTail` is true exactly when bytes follow.
//   2. The tail is rightly dropped: after the intact prefix there are fewer than 8 bytes, or a
//      length running past the end, or a checksum that does not match; the CRC-32 is recomputed
//      here bit by bit (the reflected polynomial 0xEDB88320), independently of the table.
//   3. Appending the records with `JournalFile.append` to a new file writes those same bytes.
//   4. Decoding is stable: for every record `JournalRecord.decode` accepts, decoding its
//      `encoded()` bytes gives a record that encodes to the same bytes again.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@_cdecl("LLVMFuzzerTestOneInput")
public func journalFuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    let input = Array(UnsafeBufferPointer(start: data, count: size))
    input.withUnsafeBytes { writeScratch($0) }
    let contents: JournalFile.Contents
    do {
        contents = try JournalFile.read(path: scratchPath)
    } catch {
        finding("reading an existing journal threw \(error)")
    }

    // 1.
    var framed: [UInt8] = []
    for record in contents.records {
        framed += littleEndian(UInt32(record.count)) + littleEndian(bitwiseCRC32(record)) + record
        check(CRC32.checksum(record) == bitwiseCRC32(record), "CRC32.checksum disagrees with the bitwise CRC-32")
    }
    check(framed.count == contents.intactLength && framed[...] == input[0..<min(size, framed.count)],
          "the \(contents.records.count) records re-framed are not the file's first \(contents.intactLength) bytes")
    check(contents.droppedTail == (contents.intactLength != size), "droppedTail \(contents.droppedTail) with \(size - contents.intactLength) bytes after the records")

    // 2.
    let rest = Array(input[contents.intactLength...])
    if rest.count >= 8 {
        let length = Int(UInt32(rest[0]) | UInt32(rest[1]) << 8 | UInt32(rest[2]) << 16 | UInt32(rest[3]) << 24)
        let crc = UInt32(rest[4]) | UInt32(rest[5]) << 8 | UInt32(rest[6]) << 16 | UInt32(rest[7]) << 24
        if length <= rest.count - 8 {
            check(bitwiseCRC32(Array(rest[8..<(8 + length)])) != crc, "an intact record after the intact prefix was dropped")
        }
    }

    // 3.
    let copy = scratchPath + ".append"
    unlink(copy)
    do {
        let journal = try JournalFile(path: copy)
        for record in contents.records { try journal.append(record, sync: false) }
    } catch {
        finding("appending the records threw \(error)")
    }
    let appended = (try? JournalFile.read(path: copy)) ?? JournalFile.Contents(records: [], intactLength: -1, droppedTail: true)
    check(appended.records == contents.records && appended.intactLength == framed.count && !appended.droppedTail,
          "appending the records and reading them back gives other records")
    unlink(copy)

    // 4.
    for record in contents.records {
        guard let decoded = JournalRecord.decode(record) else { continue }
        let bytes = decoded.encoded()
        guard let again = JournalRecord.decode(bytes) else { finding("a decoded record's encoding \(bytes) does not decode") }
        check(again.encoded() == bytes, "record \(record) decodes to \(decoded), which does not re-encode stably")
    }
    return 0
}

private func littleEndian(_ value: UInt32) -> [UInt8] {
    [UInt8(value & 0xff), UInt8(value >> 8 & 0xff), UInt8(value >> 16 & 0xff), UInt8(value >> 24)]
}

/// CRC-32 (IEEE 802.3, zlib's), one bit at a time.
private func bitwiseCRC32(_ bytes: [UInt8]) -> UInt32 {
    var crc: UInt32 = 0xffff_ffff
    for byte in bytes {
        crc ^= UInt32(byte)
        for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0xedb8_8320 : crc >> 1 }
    }
    return ~crc
}
