import Foundation
import XCTest
@testable import SieveData

final class AtomicFileTests: XCTestCase {
    func testWriteReplacesTheFileAndLeavesNoTemporary() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("out.json")
        try AtomicFile.write([1, 2, 3], to: path)
        try AtomicFile.write(Data([4, 5]), to: path)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), Data([4, 5]))
        try AtomicFile.write("text é", to: path, sync: true)
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), "text é")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), ["out.json"])
    }

    func testWriteIntoAMissingDirectoryFailsNamingTheFile() {
        let dir = TemporaryDirectory()
        assertDataError(try AtomicFile.write([1], to: dir.file("missing/out.json")), fileSuffix: "missing/out.json",
                        messageContains: ["cannot create"])
    }
}
