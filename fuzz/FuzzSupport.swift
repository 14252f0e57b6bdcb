// Shared by the SieveData fuzz targets (samples, safetensors, journal): a finding is a trap with a
// line on stderr first (an -O build drops preconditionFailure's text), and a scratch file per
// process for the parsers that read files.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes `fuzz finding: <message>` to stderr and traps, so libFuzzer saves the input.
func finding(_ message: @autoclosure () -> String) -> Never {
    let text = "fuzz finding: \(message())\n"
    fputs(text, stderr)
    fflush(stderr)
    preconditionFailure(text)
}

/// `finding(message)` unless `condition` holds.
@inline(__always)
func check(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { finding(message()) }
}

/// A file in /tmp (or $TMPDIR) private to this process, rewritten for every input: the parsers
/// under test read files (memory-mapped or with fread), as in production.
let scratchPath: String = {
    let directory = getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"
    return "\(directory)/gradsieve-fuzz-\(getpid()).bin"
}()

/// Replaces the scratch file with `bytes`.
func writeScratch(_ bytes: UnsafeRawBufferPointer) {
    guard let file = fopen(scratchPath, "wb") else { finding("cannot write the scratch file \(scratchPath)") }
    if bytes.count > 0 {
        check(fwrite(bytes.baseAddress!, 1, bytes.count, file) == bytes.count, "short write to \(scratchPath)")
    }
    fclose(file)
}
