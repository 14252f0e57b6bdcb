import Foundation
import SieveWire
import XCTest

/// Prints the hex examples of docs/protocol.md from the real encoder:
/// `GRADSIEVE_PRINT_HEX=1 swift test --filter testPrintHexExamples`.
final class HexExampleTests: XCTestCase {
    func testPrintHexExamples() throws {
        try XCTSkipUnless(
            ProcessInfo.processInfo.environment["GRADSIEVE_PRINT_HEX"] == "1", "set GRADSIEVE_PRINT_HEX=1 to print")
        print("HEX-EXAMPLES-BEGIN\n" + examplesText() + "HEX-EXAMPLES-END")
    }

    func testProtocolDocShowsTheBytesTheEncoderProduces() throws {
        let doc = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("docs/protocol.md")
        let text = try String(contentsOf: doc, encoding: .utf8)
        for (message, requestID) in SampleMessages.examples {
            XCTAssertTrue(
                text.contains(exampleText(message, requestID)),
                "docs/protocol.md lacks the current \(message.type.name) example; regenerate with GRADSIEVE_PRINT_HEX=1")
        }
    }

    private func examplesText() -> String {
        SampleMessages.examples.map { exampleText($0.message, $0.requestID) }.joined(separator: "\n")
    }

    private func exampleText(_ message: Message, _ requestID: UInt32) -> String {
        let value = "\(message)".replacingOccurrences(of: "SieveWire.", with: "")
        return "#### \(message.type.rawValue) \(message.type.name)\n\n"
            + "Request id \(requestID), `\(value)`:\n\n```\n"
            + hexDump(message.encoded(requestID: requestID)) + "```\n"
    }

    func testHexDumpFormatsOffsetsHexAndPrintableText() {
        XCTAssertEqual(hexDump(Array(0x41...0x52)),
            "0000  41 42 43 44 45 46 47 48 49 4a 4b 4c 4d 4e 4f 50  ABCDEFGHIJKLMNOP\n"
            + "0010  51 52                                            QR\n")
    }

    private func hexDump(_ bytes: [UInt8]) -> String {
        var out = ""
        for start in stride(from: 0, to: bytes.count, by: 16) {
            let row = bytes[start..<min(start + 16, bytes.count)]
            let hex = row.map { hexByte($0) }.joined(separator: " ")
            let text = String(row.map { (0x20..<0x7F).contains($0) ? Character(UnicodeScalar($0)) : "." })
            let offset = String(start, radix: 16)
            out += String(repeating: "0", count: 4 - offset.count) + offset + "  "
            out += hex.padding(toLength: 47, withPad: " ", startingAt: 0) + "  " + text + "\n"
        }
        return out
    }

    private func hexByte(_ byte: UInt8) -> String {
        byte < 16 ? "0" + String(byte, radix: 16) : String(byte, radix: 16)
    }
}
