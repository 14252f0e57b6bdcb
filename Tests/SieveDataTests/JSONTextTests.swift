import Foundation
import XCTest
@testable import SieveData

final class JSONTextTests: XCTestCase {
    func testQuotedEscapesSpecialCharacters() {
        XCTAssertEqual(JSONText.quoted("plain"), "\"plain\"")
        XCTAssertEqual(JSONText.quoted("a\"b\\c"), #""a\"b\\c""#)
        XCTAssertEqual(JSONText.quoted("\n\r\t\u{8}\u{c}"), #""\n\r\t\b\f""#)
        XCTAssertEqual(JSONText.quoted("\u{0}\u{1f}"), #""\u0000\u001f""#)
        XCTAssertEqual(JSONText.quoted("é😀/"), "\"é😀/\"")
    }

    func testQuotedStringsParseBackToTheOriginal() throws {
        let originals = ["", "x", "tab\there", "\u{1}\u{7f}", "quote\"slash\\", "$\\frac{1}{2}$ — ü 😀"]
        for original in originals {
            let line = "{\"id\": \(JSONText.quoted(original))}"
            XCTAssertEqual(try SamplesFile.id(ofLine: line), original)
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String]
            XCTAssertEqual(object?["id"], original)
        }
    }

    func testRandomStringsRoundTripThroughTheScanner() throws {
        // Exercises the scanner's eight-bytes-at-a-time fast path at every
        // alignment, with special bytes landing anywhere in a word.
        let alphabet: [Character] = ["a", "Z", "0", " ", "\"", "\\", "/", "\n", "\u{1}", "\u{1f}", "\u{7f}", "é", "€", "😀", "{", "}", ",", ":"]
        var generator = Xoshiro256StarStar(seed: 12)
        for _ in 0..<2000 {
            let length = generator.nextInt(below: 40)
            let text = String((0..<length).map { _ in alphabet[generator.nextInt(below: alphabet.count)] })
            let padding = String(repeating: " ", count: generator.nextInt(below: 8))
            let line = "{\(padding)\"x\": \(JSONText.quoted(text)), \"id\": \(JSONText.quoted(text))}"
            XCTAssertEqual(try SamplesFile.id(ofLine: line), text)
        }
    }
}
