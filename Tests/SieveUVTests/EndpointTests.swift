import XCTest
import SieveUV

final class EndpointTests: XCTestCase {
    func testParsesIPv4AddressAndPort() {
        XCTAssertEqual(Endpoint(parsing: "127.0.0.1:7070"), Endpoint(host: "127.0.0.1", port: 7070))
    }

    func testParsesBracketedIPv6AddressWithoutTheBrackets() {
        XCTAssertEqual(Endpoint(parsing: "[::1]:80"), Endpoint(host: "::1", port: 80))
        XCTAssertEqual(Endpoint(parsing: "[fe80::1:2]:65535"), Endpoint(host: "fe80::1:2", port: 65535))
    }

    func testParsesHostName() {
        XCTAssertEqual(Endpoint(parsing: "host.example:1"), Endpoint(host: "host.example", port: 1))
        XCTAssertEqual(Endpoint(parsing: "coordinator:0")?.port, 0)
    }

    func testRejectsTextWithoutBothAHostAndAValidPort() {
        for text in ["7070", ":80", "a:99999", "a:65536", "a:x", "a:", "a:-1", "[]:80", "", ":", "a:8 0"] {
            XCTAssertNil(Endpoint(parsing: text), "\"\(text)\" should be rejected")
        }
    }

    func testDescriptionBracketsIPv6AndParsesBack() {
        for endpoint in [Endpoint(host: "::1", port: 80), Endpoint(host: "10.1.2.3", port: 7070),
                         Endpoint(host: "host.example", port: 1)] {
            XCTAssertEqual(Endpoint(parsing: endpoint.description), endpoint)
        }
        XCTAssertEqual(Endpoint(host: "::1", port: 80).description, "[::1]:80")
        XCTAssertEqual(Endpoint(host: "127.0.0.1", port: 7070).description, "127.0.0.1:7070")
    }

    func testIsLoopbackOnlyForAddressesNoOtherMachineCanReach() {
        for text in ["127.0.0.1:1", "127.8.9.10:1", "[::1]:1", "localhost:1"] {
            XCTAssertEqual(Endpoint(parsing: text)?.isLoopback, true, text)
        }
        for text in ["0.0.0.0:1", "10.0.0.1:1", "[::]:1", "host.example:1", "128.0.0.1:1"] {
            XCTAssertEqual(Endpoint(parsing: text)?.isLoopback, false, text)
        }
    }
}
