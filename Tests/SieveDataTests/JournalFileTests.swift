import Foundation
import XCTest
@testable import SieveData

final class JournalFileTests: XCTestCase {
    func path(_ name: String) -> String {
        let path = NSTemporaryDirectory() + "journal-\(name)-\(getpid())"
        unlink(path)
        return path
    }

    func testCRC32MatchesTheZlibCheckValue() {
        XCTAssertEqual(CRC32.checksum(Array("123456789".utf8)), 0xCBF4_3926)
        XCTAssertEqual(CRC32.checksum([]), 0)
    }

    func testRecordsReadBackInOrder() throws {
        let file = path("order")
        let journal = try JournalFile(path: file)
        try journal.append([1, 2, 3])
        try journal.append([])
        try journal.append(Array(repeating: 7, count: 100_000), sync: false)
        let contents = try JournalFile.read(path: file)
        XCTAssertEqual(contents.records.map(\.count), [3, 0, 100_000])
        XCTAssertFalse(contents.droppedTail)
    }

    func testTornLastRecordIsDroppedAndCanBeCutOff() throws {
        let file = path("torn")
        try JournalFile(path: file).append([9, 9, 9, 9])
        try JournalFile(path: file).append([1, 2, 3, 4, 5, 6])
        let full = try Data(contentsOf: URL(fileURLWithPath: file))
        try full.prefix(full.count - 2).write(to: URL(fileURLWithPath: file))
        let torn = try JournalFile.read(path: file)
        XCTAssertEqual(torn.records, [[9, 9, 9, 9]])
        XCTAssertTrue(torn.droppedTail)
        try JournalFile(path: file, truncateTo: torn.intactLength).append([5])
        XCTAssertEqual(try JournalFile.read(path: file).records, [[9, 9, 9, 9], [5]])
    }

    func testCorruptedPayloadFailsItsChecksum() throws {
        let file = path("corrupt")
        try JournalFile(path: file).append([1, 1, 1])
        try JournalFile(path: file).append([2, 2, 2])
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: file)))
        bytes[bytes.count - 1] ^= 0xFF
        try Data(bytes).write(to: URL(fileURLWithPath: file))
        XCTAssertEqual(try JournalFile.read(path: file).records, [[1, 1, 1]])
    }

    func testMissingJournalHasNoRecords() throws {
        XCTAssertTrue(try JournalFile.read(path: path("missing")).records.isEmpty)
    }
}
