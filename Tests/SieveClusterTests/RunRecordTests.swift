import XCTest
import SieveCore
@testable import SieveCluster

/// run.json, byte for byte. Its layout is not what JSONEncoder writes (`"key": value`, not
/// `"key" : value`; each epoch on one line; numbers as Swift prints a Double: `1.0`, `1e-05`),
/// which is why RunRecord formats it itself: these bytes pin the format any rewrite must keep.
final class RunRecordTests: XCTestCase {
    func testRunJSONBytes() {
        var record = RunRecord(
            method: "gradalign", parameters: [("budget", "40"), ("diversity", "\"facility-location\"")],
            dataPath: "/data/pool \"a\"", fingerprint: 0xAB, rows: 2000, validationRows: 40, dimension: 16,
            workers: ["w0", "w1"],
            epochs: [
                .init(epoch: 1, selected: 40, referenceNorm: 1.0, facilityLocationValue: 1e-05),
                .init(epoch: 2, selected: 40, referenceNorm: nil, gainrlMu: 0.5),
            ],
            startedAt: "2026-12-04T16:00:00Z", seconds: 12.25)
        record.version = "9.9.9"
        XCTAssertEqual(record.json, """
        {
          "gradsieve_version": "9.9.9",
          "method": "gradalign",
          "parameters": {
            "budget": 40,
            "diversity": "facility-location"
          },
          "data": {
            "path": "/data/pool \\"a\\"",
            "fingerprint": "00000000000000ab",
            "rows": 2000,
            "validation_rows": 40,
            "dimension": 16
          },
          "workers": [
            "w0",
            "w1"
          ],
          "epochs": [
            {"epoch": 1, "selected": 40, "reference_norm": 1.0, "facility_location_value": 1e-05},
            {"epoch": 2, "selected": 40, "gainrl_mu": 0.5}
          ],
          "started_at": "2026-12-04T16:00:00Z",
          "seconds": 12.25
        }

        """)
    }
}
