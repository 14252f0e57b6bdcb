import Foundation
import XCTest
@testable import SievePolicy

final class CheckpointTests: XCTestCase {
    private var directory: String!

    override func setUp() {
        var template = Array((NSTemporaryDirectory() + "sievepolicy-XXXXXX").utf8CString)
        directory = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: directory)
    }

    func testSaveThenLoadGivesTheSamePolicy() throws {
        let config = TransformerConfig(context: 24, width: 32, layers: 1, heads: 2, mlpMultiplier: 3)
        let policy = Policy(config: config, seed: 4)
        let path = directory + "/policy.bin"
        try policy.save(to: path)
        let loaded = try Policy.load(from: path)
        XCTAssertEqual(loaded.config, config)
        XCTAssertEqual(loaded.parameters, policy.parameters)
        let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as! Int
        XCTAssertEqual(size, 44 + 4 * config.parameterCount)
        XCTAssertFalse(FileManager.default.fileExists(atPath: path + ".tmp"))
    }

    func testLoadRejectsOtherFilesWithAReason() throws {
        let path = directory + "/policy.bin"
        try Policy(config: TransformerConfig(width: 16, layers: 1, heads: 2), seed: 1).save(to: path)
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        let bad = directory + "/bad.bin"
        func expectError(_ data: Data, _ fragment: String) throws {
            try data.write(to: URL(fileURLWithPath: bad))
            XCTAssertThrowsError(try Policy.load(from: bad)) { error in
                XCTAssertTrue("\(error)".contains(fragment), "\(error)")
            }
        }
        try expectError(bytes.prefix(100), "truncated")
        try expectError(Data("NOTAPOLICYFILE".utf8) + bytes.dropFirst(14), "not a policy checkpoint")
        bytes[8] = 9
        try expectError(bytes, "unknown version")
        XCTAssertThrowsError(try Policy.load(from: directory + "/missing.bin"))
    }

    func testInitializationIsAPureFunctionOfConfigAndSeed() {
        XCTAssertEqual(Policy(seed: 3).parameters, Policy(seed: 3).parameters)
        XCTAssertNotEqual(Policy(seed: 3).parameters, Policy(seed: 4).parameters)
        XCTAssertEqual(Policy(seed: 3).parameters.count, 103_296)
    }
}
