import Foundation
import XCTest
@testable import SieveData

/// Pins the pool fingerprint of docs/protocol.md (4.4, `ready.fingerprint`) on a small pool
/// written byte by byte: the value itself (so a change of the algorithm fails here), and the same
/// value from a plain implementation of the documented rule, written here without `WordHasher`.
final class PoolFingerprintSpecTests: XCTestCase {
    static let samples = "{\"id\": \"x\"}\n{\"id\": \"y\", \"prompt\": \"1+1\"}\n"
    static let signalsHeader =
        #"{"row":{"dtype":"I64","shape":[2],"data_offsets":[0,16]},"grad":{"dtype":"F32","shape":[2,2],"data_offsets":[16,32]}}"#
    static let validationHeader = #"{"grad":{"dtype":"F32","shape":[1,2],"data_offsets":[0,8]}}"#

    /// samples.jsonl, signals/s.safetensors, and validation/b.safetensors and
    /// validation/a.safetensors (listed in the hash as a, then b: names sorted by their bytes).
    private func writePool(_ directory: String) throws {
        try writeText(Self.samples, to: directory + "/samples.jsonl")
        try writeRawSafetensors(directory + "/signals/s.safetensors", header: Self.signalsHeader,
                                data: FloatBytes.encode([0, 1] as [Int64]) + FloatBytes.encode([1, 2, 3, 4], dtype: .f32))
        try writeRawSafetensors(directory + "/validation/b.safetensors", header: Self.validationHeader,
                                data: FloatBytes.encode([5, 6], dtype: .f32))
        try writeRawSafetensors(directory + "/validation/a.safetensors", header: Self.validationHeader + "  ",
                                data: FloatBytes.encode([7, 8], dtype: .f32))
    }

    /// The documented rule, step by step.
    private struct Rule {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        mutating func word(_ w: UInt64) {
            h = (h ^ w) &* 0x0000_0100_0000_01b3
            h ^= h >> 32
        }
        mutating func item(_ bytes: [UInt8]) {
            word(UInt64(bytes.count))
            var padded = bytes
            while padded.count % 8 != 0 { padded.append(0) }
            for start in stride(from: 0, to: padded.count, by: 8) {
                var w: UInt64 = 0
                for k in 0..<8 { w |= UInt64(padded[start + k]) << (8 * UInt64(k)) }
                word(w)
            }
        }
        var value: UInt64 {
            var x = h
            x ^= x >> 33; x &*= 0xff51_afd7_ed55_8ccd
            x ^= x >> 33; x &*= 0xc4ce_b9fe_1a85_ec53
            x ^= x >> 33
            return x
        }
    }

    private func ruleFingerprint(_ directory: String) throws -> UInt64 {
        func bytes(_ path: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: URL(fileURLWithPath: directory + "/" + path))) }
        var rule = Rule()
        rule.item(Array("gradsieve-pool-v1".utf8))
        let samples = try bytes("samples.jsonl")
        rule.word(UInt64(samples.count))
        rule.item(samples)
        for (folder, names) in [("signals", ["s.safetensors"]), ("validation", ["a.safetensors", "b.safetensors"])] {
            rule.word(UInt64(names.count))
            for name in names {
                let file = try bytes("\(folder)/\(name)")
                var length = 0
                for k in 0..<8 { length |= Int(file[k]) << (8 * k) }
                rule.item(Array("\(folder)/\(name)".utf8))
                rule.word(UInt64(file.count))
                rule.item(Array(file[8..<(8 + length)]))
            }
        }
        return rule.value
    }

    func testFingerprintOfAFixedPool() throws {
        let dir = TemporaryDirectory()
        try writePool(dir.path)
        let pool = try Pool.open(directory: dir.path)
        XCTAssertEqual(pool.fingerprint, try ruleFingerprint(dir.path), "the code and the documented rule disagree")
        XCTAssertEqual(String(pool.fingerprint, radix: 16), "e2daa0a8509962f9", "the fingerprint algorithm changed: update docs/protocol.md 4.4")
    }

    func testWithoutValidationTheCountIsZero() throws {
        let dir = TemporaryDirectory()
        try writePool(dir.path)
        try FileManager.default.removeItem(atPath: dir.file("validation"))
        var rule = Rule()
        rule.item(Array("gradsieve-pool-v1".utf8))
        let samples = Array(Self.samples.utf8)
        rule.word(UInt64(samples.count))
        rule.item(samples)
        rule.word(1)
        let signals = [UInt8](try Data(contentsOf: URL(fileURLWithPath: dir.file("signals/s.safetensors"))))
        rule.item(Array("signals/s.safetensors".utf8))
        rule.word(UInt64(signals.count))
        rule.item(Array(Self.signalsHeader.utf8))
        rule.word(0)
        XCTAssertEqual(try Pool.open(directory: dir.path, readIDs: false).fingerprint, rule.value)
    }
}
