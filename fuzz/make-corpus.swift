// Writes the seed corpus of fuzz/WireFuzz.swift: valid frames built by the SieveWire encoder from
// the test suite's sample messages (Tests/SieveWireTests/SampleMessages.swift).
//
//     make-corpus OUTPUT-DIRECTORY
//
// Built by scripts/fuzz.sh against a SieveWire module compiled from Sources/SieveWire, together
// with SampleMessages.swift. Every file starts with the fuzz target's control byte (bits 0-6: the
// largest chunk the stream is appended in, 0 = all at once; bit 7: 64-byte frame limit), then
// the bytes of one or more frames. The output is the same on every run.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SieveWire

@main
enum MakeCorpus {
    static func main() {
        let arguments = CommandLine.arguments
        guard arguments.count == 2 else {
            fputs("usage: make-corpus OUTPUT-DIRECTORY\n", stderr)
            exit(2)
        }
        let directory = arguments[1]
        var written = 0

        // One file per message type, in type order: 01-hello.bin ... 18-authProof.bin. The control
        // byte cycles through 0 (one append), 1 (byte by byte) and chunks of up to 2...7 bytes.
        for (index, example) in SampleMessages.examples.enumerated() {
            let number = Int(example.message.type.rawValue)
            let name = (number < 10 ? "0" : "") + "\(number)-\(example.message.type.name).bin"
            write(directory, name, control: UInt8(index % 8), example.message.encoded(requestID: example.requestID))
            written += 1
        }

        // A few streams of several frames.
        let examples = SampleMessages.examples.flatMap { $0.message.encoded(requestID: $0.requestID) }
        let samples = SampleMessages.all.enumerated().flatMap { $0.element.encoded(requestID: UInt32($0.offset)) }
        let heartbeat = Message.heartbeat(Heartbeat(shardsInFlight: 1)).encoded()
        let ready = Message.ready(Ready(fingerprint: 7, rows: 100, dimension: 3)).encoded()
        let reference = Message.reference(Reference(epoch: 1, vector: Array(repeating: 0.5, count: 8))).encoded()
        var helloV1 = Message.hello(Hello(workerName: "w1", productVersion: "0.1", slots: 1, dataPath: "")).frame()
        helloV1.version = 1  // the former protocol version
        let unknownType = Frame(type: 200, requestID: 9, payload: [1, 2, 3]).encoded()

        // Every type once, appended 3 bytes at most at a time.
        write(directory, "multi-examples.bin", control: 3, examples)
        // Every sample of the round-trip tests, extremes and non-ASCII strings included.
        write(directory, "multi-samples.bin", control: 0x11, samples)
        // The examples with the last frame cut short: the decoder must keep waiting.
        write(directory, "multi-truncated.bin", control: 1, Array(examples.dropLast(5)))
        // Frames the decoder cuts but Message.decode rejects (version 1, type 200), between good ones.
        write(directory, "multi-undecodable.bin", control: 0, heartbeat + helloV1.encoded() + unknownType + ready)
        // The 64-byte frame limit: two small frames pass, then the reference (length 80) is too large.
        precondition(reference.count - 4 > 64 && ready.count - 4 <= 64)
        write(directory, "multi-small-limit.bin", control: 0x80 | 4, heartbeat + ready + reference + heartbeat)
        // More than 4 KiB in chunks of up to 100 bytes, so the decoder compacts its buffer.
        write(directory, "multi-long.bin", control: 100, samples + samples + samples)
        // Values Equatable cannot tell apart or mixes up: NaNs (quiet, signalling, with a payload),
        // and a string in decomposed form, which == calls equal to the precomposed one.
        let nans = [Double.nan, -Double.nan, Double.signalingNaN, Double(bitPattern: 0x7FF0_0000_0000_0001), -0.0]
        let edges = [
            Message.reference(Reference(epoch: 1, vector: nans)),
            Message.partPicks(PartPicks(epoch: 1, part: 2, attempt: 0, picks: [3], value: .nan)),
            Message.hello(Hello(workerName: "e\u{301}", productVersion: "\u{E9}", slots: 1, dataPath: "")),
        ]
        write(directory, "multi-edge-values.bin", control: 7, edges.flatMap { $0.encoded() })
        written += 7

        print("wrote \(written) corpus files to \(directory)")
    }

    static func write(_ directory: String, _ name: String, control: UInt8, _ stream: [UInt8]) {
        let path = directory + "/" + name
        guard let file = fopen(path, "wb") else {
            fputs("make-corpus: cannot open \(path) for writing\n", stderr)
            exit(1)
        }
        let bytes = [control] + stream
        let count = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) }
        guard count == bytes.count, fclose(file) == 0 else {
            fputs("make-corpus: cannot write \(path)\n", stderr)
            exit(1)
        }
    }
}
