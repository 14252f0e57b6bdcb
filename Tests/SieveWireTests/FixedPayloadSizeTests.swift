@testable import SieveWire
import XCTest

/// A message that declares a fixed payload size is read with that size as a constant bound:
/// the declared size must be what it encodes to, and payloads one byte short or long must
/// still fail as they do for every message.
final class FixedPayloadSizeTests: XCTestCase {
    func testDeclaredSizesAreTheEncodedSizesAndOtherSizesStillFail() throws {
        let messages: [(Message, Int?)] = [
            (.assign(Assignment(epoch: 3, phase: .trainingSum, shard: 9, attempt: 2, rowStart: 1 << 40, rowCount: 77)),
             Assignment.fixedPayloadSize),
            (.heartbeat(Heartbeat(shardsInFlight: 513)), Heartbeat.fixedPayloadSize),
        ]
        for (message, declared) in messages {
            let payload = message.encodePayload()
            XCTAssertEqual(declared, payload.count, "\(message.type.name)")
            XCTAssertEqual(try Message.decode(message.frame()), message)
            for wrong in [Array(payload.dropLast()), payload + [0]] {
                let frame = Frame(type: message.type.rawValue, requestID: 0, payload: wrong)
                XCTAssertThrowsError(try Message.decode(frame), "\(message.type.name) of \(wrong.count) bytes") { error in
                    let code = (error as? WireError)?.code
                    XCTAssertTrue(code == .malformedField || code == .trailingBytes, "\(error)")
                }
            }
        }
    }
}
