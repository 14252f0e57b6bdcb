// libFuzzer entry point for samples.jsonl: SamplesFile (line splitting, ids, duplicates) and the
// hand-written validating scanner JSONObjectLineScanner.
//
// Built by scripts/fuzz.sh with swiftc over Sources/SieveData/*.swift, fuzz/FuzzSupport.swift and
// this file in one module (internal API reachable), linked with a SieveKernels module built from
// SplitMix64.swift alone (the only part of it SieveData uses).
//
// The input is the whole samples.jsonl. Checks, each a trap (a libFuzzer crash) when it fails:
//   1. The file path agrees with the lines: `SamplesFile.readIDs` over the file (memory-mapped)
//      succeeds exactly when every line, cut at "\n" by an independent splitter (the text after
//      the last newline is a line only when non-empty), is non-empty and scans to a string `id`,
//      and no id repeats; it returns those ids in order (it reads them through SampleIDs, the
//      coordinator's table of id offsets, whose `appendQuoted` must give `JSONText.quoted(id)`).
//   2. Scanning is a function of the bytes: scanning a line twice gives the same result (or the
//      same error offset and reason), and the error offset lies within the line.
//   3. Every id read survives the writers' quoting: `{"id": JSONText.quoted(id)}` scans back to
//      the same id (bytes compared), as does the id inside a nested, padded object.
//   4. The scanner agrees with an independent JSON parser: where both Foundation's
//      JSONSerialization and the scanner accept a line as an object, they find the same `id`
//      (missing, a string with the same bytes, or something else).
// AddressSanitizer catches any read past a line (the scanner walks raw pointers).

import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func samplesFuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    let bytes = UnsafeRawBufferPointer(start: data, count: size)

    // The lines, split here without SamplesFile.
    var lines: [Range<Int>] = []
    var start = 0
    while start < size {
        var end = start
        while end < size && data[end] != 0x0A { end += 1 }
        lines.append(start..<end)
        start = end + 1
    }
    var visited: [[UInt8]] = []
    SamplesFile.forEachLine(bytes) { visited.append(Array($0)) }
    check(visited == lines.map { Array(bytes[$0]) }, "forEachLine visits lines of \(visited.map(\.count)) bytes, expected \(lines.map(\.count))")

    // Each line on its own.
    var expected: [String]? = []
    var seen = Set<[UInt8]>()
    for range in lines {
        let line = UnsafeRawBufferPointer(rebasing: bytes[range])
        let first = scanned(line), second = scanned(line)
        check(first == second, "scanning the same line twice gives \(first) then \(second)")
        if case let .failure(offset, _) = first {
            check(offset >= 0 && offset <= line.count, "error offset \(offset) outside a line of \(line.count) bytes")
        }
        if case let .id(field) = first { checkAgainstFoundation(line, field) }
        guard !line.isEmpty, case let .id(.string(id)) = first else { expected = nil; continue }
        checkQuoting(id)
        if expected != nil {
            if seen.insert(Array(id.utf8)).inserted { expected!.append(id) } else { expected = nil }
        }
    }

    // The whole file, memory-mapped, as a pool opens it.
    writeScratch(bytes)
    let ids: [String]?
    do {
        ids = try SamplesFile.readIDs(path: scratchPath)
    } catch is DataError {
        ids = nil
    } catch {
        finding("readIDs threw \(error), not a DataError")
    }
    check(ids.map { $0.map { Array($0.utf8) } } == expected.map { $0.map { Array($0.utf8) } },
          "readIDs gives \(String(describing: ids)), the lines give \(String(describing: expected))")
    if let ids, let table = try? SampleIDs(path: scratchPath) {
        // scores.jsonl copies an unescaped id's bytes straight from the file: they must be
        // exactly what quoting the decoded id gives.
        for (row, id) in ids.enumerated() {
            var out: [UInt8] = []
            table.appendQuoted(row, to: &out)
            check(out == Array(JSONText.quoted(id).utf8), "appendQuoted(\(row)) gives \(out), quoting \(id) gives \(Array(JSONText.quoted(id).utf8))")
        }
    }
    return 0
}

private enum Scanned: Equatable {
    case id(JSONObjectLineScanner.IDField)
    case failure(Int, String)
}

private func scanned(_ line: UnsafeRawBufferPointer) -> Scanned {
    do {
        return .id(try JSONObjectLineScanner.scan(line))
    } catch let error as JSONSyntaxError {
        return .failure(error.offset, error.reason)
    } catch {
        finding("the scanner threw \(error), not a JSONSyntaxError")
    }
}

/// 3. The id, written as the output writers write it, reads back as itself.
private func checkQuoting(_ id: String) {
    for text in ["{\"id\": \(JSONText.quoted(id))}", " {\"a\": [1, {\"id\": 2}], \"id\":\(JSONText.quoted(id)) , \"b\": null} "] {
        var line = text
        let result = line.withUTF8 { scanned(UnsafeRawBufferPointer($0)) }
        guard case let .id(.string(back)) = result, Array(back.utf8) == Array(id.utf8) else {
            finding("the id \(Array(id.utf8)) quoted as \(text) scans to \(result)")
        }
    }
}

/// 4. Where Foundation's parser also reads the line as an object, its `id` is the scanner's.
private func checkAgainstFoundation(_ line: UnsafeRawBufferPointer, _ field: JSONObjectLineScanner.IDField) {
    guard let object = try? JSONSerialization.jsonObject(with: Data(line), options: []) as? [String: Any] else { return }
    switch (field, object["id"]) {
    case (.missing, nil):
        return
    case let (.string(id), value as String):
        check(Array(id.utf8) == Array(value.utf8), "the scanner reads id \(Array(id.utf8)), Foundation \(Array(value.utf8))")
    case (.notString, let value?) where !(value is String):
        return
    default:
        finding("the scanner reads the id as \(field), Foundation as \(String(describing: object["id"]))")
    }
}
