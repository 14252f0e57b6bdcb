import SieveWire
import XCTest

final class MessageDecodeErrorTests: XCTestCase {
    private func decodeError(_ frame: Frame, file: StaticString = #filePath, line: UInt = #line) -> WireError? {
        do {
            let message = try Message.decode(frame)
            XCTFail("decoded \(message)", file: file, line: line)
            return nil
        } catch {
            guard let wireError = error as? WireError else {
                XCTFail("not a WireError: \(error)", file: file, line: line)
                return nil
            }
            return wireError
        }
    }

    private func frame(_ type: MessageType, _ payload: [UInt8]) -> Frame {
        Frame(type: type.rawValue, requestID: 0, payload: payload)
    }

    func testUnsupportedVersionIsReportedAsSuch() {
        var hello = Message.hello(Hello(workerName: "w", productVersion: "9", slots: 1, dataPath: "")).frame()
        hello.version = 1  // the former version (big-endian array elements)
        let error = decodeError(hello)
        XCTAssertEqual(error, .unsupportedVersion(1))
        XCTAssertEqual(error?.code, .unsupportedVersion)
        XCTAssertTrue(error?.message.contains("version 1") ?? false, "\(String(describing: error))")
    }

    func testVersionIsCheckedBeforeTheType() {
        let error = decodeError(Frame(type: 99, requestID: 0, payload: [], version: 0))
        XCTAssertEqual(error?.code, .unsupportedVersion)
    }

    func testUnknownMessageTypeIsRejectedWithItsNumber() {
        for type: UInt8 in [0, 22, 255] {
            let error = decodeError(Frame(type: type, requestID: 0, payload: []))
            XCTAssertEqual(error?.code, .unknownMessageType)
            XCTAssertTrue(error?.message.contains("\(type)") ?? false, "\(String(describing: error))")
        }
    }

    func testStringLengthBeyondThePayloadNamesTheField() {
        var payload = Message.welcome(
            Welcome(
                workerID: 1, heartbeatMillis: 2, runID: "r", dataPath: "", fingerprint: 0, method: "", shardRows: 0,
                validationShardRows: 0)
        ).encodePayload()
        // dataPath's length field starts after workerID (4), heartbeatMillis (4), runID (4 + 1).
        payload.replaceSubrange(13..<17, with: [0, 0, 0x0F, 0xA0])
        let error = decodeError(frame(.welcome, payload))
        XCTAssertEqual(error?.code, .malformedField)
        XCTAssertEqual(
            error?.message, "malformed field welcome.dataPath: string length 4000 exceeds the 20 bytes left")
    }

    func testEveryTruncationOfEveryMessageIsRejectedNamingAField() {
        for message in SampleMessages.all {
            let payload = message.encodePayload()
            for cut in 0..<payload.count {
                let error = decodeError(frame(message.type, Array(payload[..<cut])))
                XCTAssertEqual(error?.code, .malformedField, "\(message.type.name) cut at \(cut)")
                XCTAssertTrue(
                    error?.message.hasPrefix("malformed field \(message.type.name).") ?? false,
                    "\(String(describing: error))")
            }
        }
    }

    func testTruncatedIntegerSaysHowManyBytesWereMissing() {
        let error = decodeError(frame(.heartbeat, [7]))
        XCTAssertEqual(error?.message, "malformed field heartbeat.shardsInFlight: needs 2 bytes but only 1 are left")
    }

    func testArrayCountBeyondThePayloadIsRejectedBeforeAllocating() {
        // 0xFFFFFFFF doubles would need 32 GiB; the payload has 8 bytes after the count.
        let payload: [UInt8] = [0, 0, 0, 1, 0xFF, 0xFF, 0xFF, 0xFF] + Array(repeating: 0, count: 8)
        let error = decodeError(frame(.reference, payload))
        XCTAssertEqual(error?.code, .malformedField)
        XCTAssertTrue(error?.message.hasPrefix("malformed field reference.vector:") ?? false, "\(String(describing: error))")
    }

    func testInvalidUTF8IsRejectedNamingTheField() {
        let payload: [UInt8] = [0, 0, 0, 2, 0xC3, 0x28]  // a lead byte followed by a non-continuation byte
        let error = decodeError(frame(.done, [0] + payload))
        XCTAssertEqual(error?.code, .malformedField)
        XCTAssertTrue(error?.message.contains("done.message") ?? false, "\(String(describing: error))")
        XCTAssertTrue(error?.message.contains("UTF-8") ?? false, "\(String(describing: error))")
    }

    func testTrailingBytesAfterAMessageAreRejected() {
        for message in SampleMessages.all {
            let error = decodeError(frame(message.type, message.encodePayload() + [0]))
            XCTAssertEqual(error?.code, .trailingBytes, message.type.name)
            XCTAssertTrue(error?.message.contains(message.type.name) ?? false, "\(String(describing: error))")
        }
    }

    func testUnknownPhaseIsRejectedNamingAssignPhase() {
        var payload = Message.assign(
            Assignment(epoch: 1, phase: .score, shard: 2, attempt: 0, rowStart: 0, rowCount: 1)
        ).encodePayload()
        payload[4] = 4
        let error = decodeError(frame(.assign, payload))
        XCTAssertEqual(error?.code, .malformedField)
        XCTAssertTrue(error?.message.hasPrefix("malformed field assign.phase:") ?? false, "\(String(describing: error))")
    }

    func testScoresWithTheWrongNumberOfValuesAreRejected() {
        var writer: [UInt8] = []
        writer += [0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 0]  // epoch, shard, attempt
        writer += [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]  // rowStart, rowCount = 2
        writer += [1, 0, 0, 0, 1, 0x73]  // one column, "s"
        writer += [0, 0, 0, 1] + Array(repeating: 0, count: 8)  // one value, two expected
        let error = decodeError(frame(.scores, writer))
        XCTAssertEqual(error?.code, .malformedField)
        XCTAssertTrue(error?.message.hasPrefix("malformed field scores.values:") ?? false, "\(String(describing: error))")
    }

    func testTruncatedScoresColumnNamesTheColumnIndex() {
        let payload = Message.scores(
            ShardScores(epoch: 0, shard: 0, attempt: 0, rowStart: 0, rowCount: 0, columns: ["a", "bcd"], values: [])
        ).encodePayload()
        let error = decodeError(frame(.scores, Array(payload[..<32])))
        XCTAssertTrue(error?.message.hasPrefix("malformed field scores.columns[1]:") ?? false, "\(String(describing: error))")
    }

    func testCurriculumWithMismatchedCountsIsRejected() {
        var payload: [UInt8] = [0, 0, 0, 1]
        payload += [0, 0, 0, 1] + Array(repeating: 0, count: 8)  // one row
        payload += [0, 0, 0, 0]  // no scores
        let error = decodeError(frame(.curriculum, payload))
        XCTAssertEqual(error?.code, .malformedField)
        XCTAssertTrue(error?.message.hasPrefix("malformed field curriculum.scores:") ?? false, "\(String(describing: error))")
    }

    func testDoneWithAnUnknownStatusIsRejected() {
        let error = decodeError(frame(.done, [2, 0, 0, 0, 0]))
        XCTAssertTrue(error?.message.hasPrefix("malformed field done.status:") ?? false, "\(String(describing: error))")
    }

    func testEmptyPayloadOfAMessageWithFieldsNamesTheFirstField() {
        let error = decodeError(frame(.ready, []))
        XCTAssertTrue(error?.message.hasPrefix("malformed field ready.fingerprint:") ?? false, "\(String(describing: error))")
    }
}

