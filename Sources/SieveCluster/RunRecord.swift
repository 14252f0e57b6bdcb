import SieveCore
import SieveData

/// The contents of `OUT/run.json`.
///
/// Formatted here rather than by `JSONEncoder`, which cannot write these bytes: it separates
/// keys with `" : "`, would put each epoch's fields on lines of their own, and writes `1.0` as
/// `1`; run.json's bytes must not change (RunRecordTests pins them). `parameters` holds JSON
/// fragments that RunSetup makes from typed values.
public struct RunRecord: Sendable {
    public var version = GradsieveVersion.current
    public var method: String
    public var parameters: [(String, String)]   // name, JSON value
    public var dataPath: String
    public var fingerprint: UInt64
    public var rows: Int
    public var validationRows: Int
    public var dimension: Int
    public var workers: [String]
    public var epochs: [EpochRecord]
    public var startedAt: String
    public var seconds: Double

    /// One epoch's line of run.json (the core keeps these; the journal carries them).
    public typealias EpochRecord = SieveCore.EpochRecord

    public init(method: String, parameters: [(String, String)], dataPath: String, fingerprint: UInt64, rows: Int,
                validationRows: Int, dimension: Int, workers: [String], epochs: [EpochRecord], startedAt: String, seconds: Double) {
        self.method = method
        self.parameters = parameters
        self.dataPath = dataPath
        self.fingerprint = fingerprint
        self.rows = rows
        self.validationRows = validationRows
        self.dimension = dimension
        self.workers = workers
        self.epochs = epochs
        self.startedAt = startedAt
        self.seconds = seconds
    }

    var json: String {
        let q = JSONText.quoted
        let hexDigits = String(fingerprint, radix: 16)
        let hex = String(repeating: "0", count: max(0, 16 - hexDigits.count)) + hexDigits
        let parameterText = parameters.map { "    \(q($0.0)): \($0.1)" }.joined(separator: ",\n")
        let workerText = workers.map { "    \(q($0))" }.joined(separator: ",\n")
        let epochText = epochs.map { "    " + $0.json }.joined(separator: ",\n")
        return """
        {
          "gradsieve_version": \(q(version)),
          "method": \(q(method)),
          "parameters": {
        \(parameterText)
          },
          "data": {
            "path": \(q(dataPath)),
            "fingerprint": "\(hex)",
            "rows": \(rows),
            "validation_rows": \(validationRows),
            "dimension": \(dimension)
          },
          "workers": [
        \(workerText)
          ],
          "epochs": [
        \(epochText)
          ],
          "started_at": \(q(startedAt)),
          "seconds": \(RunOutput.number(seconds))
        }

        """
    }
}

extension EpochRecord {
    /// This epoch's line of run.json.
    var json: String {
        var text = "{\"epoch\": \(epoch), \"selected\": \(selected)"
        if let referenceNorm { text += ", \"reference_norm\": \(RunOutput.number(referenceNorm))" }
        if let facilityLocationValue { text += ", \"facility_location_value\": \(RunOutput.number(facilityLocationValue))" }
        if let gainrlMu { text += ", \"gainrl_mu\": \(RunOutput.number(gainrlMu))" }
        return text + "}"
    }
}
