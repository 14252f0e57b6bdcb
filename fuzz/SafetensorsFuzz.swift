// libFuzzer entry point for the safetensors reader: SafetensorsFile (the 8-byte length, the header
// limit, the memory map) and SafetensorsHeader (the JSON header's rules).
//
// Built by scripts/fuzz.sh like the samples target (Sources/SieveData/*.swift in one module).
//
// The input is a whole .safetensors file, written to a scratch file and opened as a pool opens
// one. A DataError is the reader doing its job. Checks, each a trap when it fails:
//   1. What is accepted obeys the format: the header length field is below the 100 MB limit and
//      within the file, `headerBytes` are the bytes after it, and every tensor has a supported
//      dtype, byteCount = product(shape) x width (no overflow), and lies inside the data section
//      (after the header, within the file); tensors with data do not overlap; `elementCount`
//      times the width is the byte count.
//   2. The data is readable: `bytes(tensor)` and `bytes(named:)` give views of byteCount bytes at
//      byteOffset in the file, read in full (AddressSanitizer catches any read out of the map).
//   3. The reader is a function of the bytes: opening the same file again accepts it with equal
//      tensors and metadata, or fails again (the message may name another entry: a header with
//      several bad entries is checked in the order of a Swift dictionary, seeded per instance).
//   4. The header parser agrees with the file reader: `SafetensorsHeader(json:...)` over the
//      header bytes gives the same tensors and metadata.

@_cdecl("LLVMFuzzerTestOneInput")
public func safetensorsFuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    let input = UnsafeRawBufferPointer(start: data, count: size)
    writeScratch(input)
    let first = open(), second = open()
    switch (first, second) {
    case (.failure, .failure):
        break  // not always with the same message: the header's entries are checked in hash order
    case let (.success(file), .success(again)):
        check(file.tensors == again.tensors && file.metadata == again.metadata, "opening the same file twice gives other tensors")
        checkAccepted(file, input)
    default:
        finding("opening the same file twice gives \(first), then \(second)")
    }
    return 0
}

private enum Opened {
    case success(SafetensorsFile)
    case failure(String)
}

private func open() -> Opened {
    do {
        return .success(try SafetensorsFile(path: scratchPath))
    } catch let error as DataError {
        return .failure("\(error)")
    } catch {
        finding("SafetensorsFile threw \(error), not a DataError")
    }
}

private func checkAccepted(_ file: SafetensorsFile, _ input: UnsafeRawBufferPointer) {
    let size = input.count
    check(file.fileSize == size, "fileSize \(file.fileSize) for \(size) bytes")
    check(size >= 8, "accepted a file of \(size) bytes")
    let declared = input.loadUnaligned(fromByteOffset: 0, as: UInt64.self).littleEndian
    check(declared < UInt64(SafetensorsHeader.maximumLength) && declared <= UInt64(size - 8),
          "accepted a header length of \(declared) in a file of \(size) bytes")
    let dataStart = 8 + Int(declared)
    check(file.headerBytes == Array(input[8..<dataStart]), "headerBytes are not the bytes after the length field")

    var extents: [(start: Int, end: Int, name: String)] = []
    for (name, tensor) in file.tensors {
        check(tensor.name == name && name != "__metadata__", "tensor keyed \(name) is named \(tensor.name)")
        var count = 1
        for dimension in tensor.shape {
            check(dimension >= 0, "tensor \(name) has a negative dimension")
            let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
            check(!overflow, "tensor \(name): shape \(tensor.shape) overflows but was accepted")
            count = product
        }
        let (bytes, overflow) = count.multipliedReportingOverflow(by: tensor.dtype.byteWidth)
        check(!overflow && bytes == tensor.byteCount, "tensor \(name): \(tensor.byteCount) bytes for shape \(tensor.shape) \(tensor.dtype)")
        check(tensor.elementCount * tensor.dtype.byteWidth == tensor.byteCount, "tensor \(name): elementCount disagrees")
        check(tensor.byteOffset >= dataStart && tensor.byteCount <= size - tensor.byteOffset,
              "tensor \(name) at \(tensor.byteOffset) + \(tensor.byteCount) lies outside the data section \(dataStart)..<\(size)")
        let view = file.bytes(tensor)
        check(view.count == tensor.byteCount, "bytes(\(name)) has \(view.count) bytes, not \(tensor.byteCount)")
        check(view.elementsEqual(input[tensor.byteOffset..<(tensor.byteOffset + tensor.byteCount)]),
              "bytes(\(name)) are not the file's bytes at its offset")
        check(file.bytes(named: name).map(Array.init) == Array(view), "bytes(named: \(name)) differs from bytes(tensor)")
        if tensor.byteCount > 0 { extents.append((tensor.byteOffset, tensor.byteOffset + tensor.byteCount, name)) }
    }
    extents.sort { $0.start < $1.start }
    for (previous, next) in zip(extents, extents.dropFirst()) {
        check(next.start >= previous.end, "tensors \(previous.name) and \(next.name) overlap but were accepted")
    }
    check(file.tensorNames.count == file.tensors.count, "tensorNames lists \(file.tensorNames.count) of \(file.tensors.count) tensors")

    let header: SafetensorsHeader
    do {
        header = try SafetensorsHeader(json: UnsafeRawBufferPointer(rebasing: input[8..<dataStart]), dataStart: dataStart,
                                       dataSize: size - dataStart, path: scratchPath)
    } catch {
        finding("the header parser refuses a header the file reader accepted: \(error)")
    }
    check(header.tensors == file.tensors && header.metadata == file.metadata, "the header parser and the file reader disagree")
}
