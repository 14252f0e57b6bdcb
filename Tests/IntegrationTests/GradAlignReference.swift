import Foundation
import SieveData

/// gradalign computed independently of the cluster: scalar Float64 loops over values decoded
/// one by one, straight from the safetensors files.
enum GradAlignReference {
    static func scores(pool directory: String) throws -> [Double] {
        let pool = try Pool.open(directory: directory, readIDs: false)
        let d = pool.dimension!
        var reference = [Double](repeating: 0, count: d)
        for segment in pool.validationSegments(rows: 0..<pool.validationRowCount) {
            let values = pool.gradFloats(segment, validation: true)
            for index in 0..<values.count { reference[index % d] += Double(values[index]) }
        }
        let referenceNorm = reference.reduce(0) { $0 + $1 * $1 }.squareRoot()
        var scores = [Double](repeating: .nan, count: pool.rowCount)
        for segment in pool.segments(rows: 0..<pool.rowCount) {
            let values = pool.gradFloats(segment)
            let success = pool.floats("success", segment)
            for i in 0..<segment.count {
                var dot = 0.0, norm = 0.0
                for j in 0..<d {
                    let x = Double(values[i * d + j])
                    dot += x * reference[j]
                    norm += x * x
                }
                let p = success?[i]
                let excluded = norm == 0 || p.map { $0 <= 0 || $0 >= 1 } ?? false
                scores[segment.row + i] = excluded ? 0 : dot / (norm.squareRoot() * referenceNorm)
            }
        }
        return scores
    }

    struct CurriculumLine: Decodable, Equatable {
        let id: String
        let row: Int
        let rank: Int
        let score: Double
    }

    static func parse(_ data: Data) throws -> [CurriculumLine] {
        try String(decoding: data, as: UTF8.self).split(separator: "\n").map {
            try JSONDecoder().decode(CurriculumLine.self, from: Data($0.utf8))
        }
    }
}
