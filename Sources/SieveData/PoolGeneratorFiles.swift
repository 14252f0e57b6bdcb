#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

// The file writers of `PoolGenerator`, one per kind of output file.

extension PoolGenerator {
    /// One signals file for global `rows`: the small per-row tensors are
    /// generated for the whole file first (n values each), then the
    /// gradients are generated and streamed row by row.
    func writeSignalsFile(_ path: String, rows: Range<Int>, model: SyntheticPoolModel) throws {
        let n = rows.count
        let writer = try SafetensorsWriter(path: path, tensors: [
            .init(name: PoolTensor.row, dtype: .i64, shape: [n]),
            .init(name: PoolTensor.success, dtype: .f32, shape: [n]),
            .init(name: PoolTensor.angle, dtype: .f32, shape: [n]),
            .init(name: PoolTensor.rewards, dtype: .f32, shape: [n, rewardEpochs]),
            .init(name: PoolTensor.grad, dtype: dtype, shape: [n, dimension]),
        ], metadata: metadata)
        let signals = rows.map { model.trainingRow($0) }
        try writer.append(FloatBytes.encode(rows.map { Int64($0) }))
        try writer.append(FloatBytes.encode(signals.map(\.success), dtype: .f32))
        try writer.append(FloatBytes.encode(signals.map(\.angle), dtype: .f32))
        try writer.append(FloatBytes.encode(signals.flatMap(\.rewards), dtype: .f32))
        try streamGradients(writer, count: n) { k, out in model.trainingGrad(rows.lowerBound + k, signals[k], into: out) }
        try writer.finish()
    }

    /// One validation file holding `grad` for validation `rows`.
    func writeValidationFile(_ path: String, rows: Range<Int>, model: SyntheticPoolModel) throws {
        let writer = try SafetensorsWriter(path: path, tensors: [
            .init(name: PoolTensor.grad, dtype: dtype, shape: [rows.count, dimension]),
        ], metadata: metadata)
        try streamGradients(writer, count: rows.count) { k, out in model.validationGrad(rows.lowerBound + k, into: out) }
        try writer.finish()
    }

    /// Generates `count` gradient rows with `fill` and appends each, encoded
    /// in `dtype`, reusing one row buffer.
    private func streamGradients(_ writer: SafetensorsWriter, count: Int,
                                 fill: (Int, UnsafeMutableBufferPointer<Float>) -> Void) throws {
        var row = [Float](repeating: 0, count: dimension)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(dimension * dtype.byteWidth)
        for k in 0..<count {
            row.withUnsafeMutableBufferPointer { fill(k, $0) }
            bytes.removeAll(keepingCapacity: true)
            row.withUnsafeBufferPointer { FloatBytes.encode($0, dtype: dtype, into: &bytes) }
            try writer.append(bytes)
        }
    }

    /// `samples.jsonl`, one line per row, written last so that a pool whose
    /// generation failed midway has no samples file and is not mistaken for
    /// a complete one.
    func writeSamples(_ path: String, model: SyntheticPoolModel) throws {
        let temporary = AtomicFile.temporaryPath(for: path)
        do {
            let output = try BufferedFileOutput(path: temporary)
            let width = max(6, String(rows - 1).count)
            for row in 0..<rows {
                let id = "gen-" + String(repeating: "0", count: max(0, width - String(row).count)) + String(row)
                let cluster = model.trainingRow(row).cluster
                try output.write("{\"id\": \"\(id)\", \"cluster\": \(cluster), \"prompt\": \"synthetic problem \(row)\"}\n")
            }
            try output.close()
            try AtomicFile.commit(temporary, to: path)
        } catch {
            unlink(temporary)
            throw error
        }
    }
}
