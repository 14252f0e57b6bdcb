import Glibc

/// Why a checkpoint could not be read or written, with the path.
public struct CheckpointError: Error, CustomStringConvertible {
    public let path: String
    public let message: String
    public var description: String { "\(path): \(message)" }
}

/// The policy's file format, little endian:
///
///     offset 0   8 bytes  magic "GSPOLICY"
///            8   u32      format version (1)
///           12   6 × u32  vocabulary, context, width, layers, heads, mlpMultiplier
///           36   u64      parameter count P (must match the config)
///           44   P × f32  parameters in `ParameterLayout` order
///
/// Writes go to `path.tmp` and are renamed into place, so a reader never sees half a file.
enum Checkpoint {
    static let magic: [UInt8] = Array("GSPOLICY".utf8)
    static let version: UInt32 = 1

    static func write(_ policy: Policy, to path: String) throws {
        let c = policy.config
        var header = magic
        append(version, to: &header)
        for field in [c.vocabulary, c.context, c.width, c.layers, c.heads, c.mlpMultiplier] {
            append(UInt32(field), to: &header)
        }
        append(UInt64(policy.parameters.count), to: &header)
        let temporary = path + ".tmp"
        guard let file = fopen(temporary, "wb") else { throw CheckpointError(path: temporary, message: "cannot create") }
        var ok = header.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) == $0.count }
        ok = ok && policy.parameters.map { $0.bitPattern.littleEndian }.withUnsafeBytes {
            fwrite($0.baseAddress, 1, $0.count, file) == $0.count
        }
        ok = (fclose(file) == 0) && ok
        guard ok, rename(temporary, path) == 0 else {
            unlink(temporary)
            throw CheckpointError(path: path, message: "write failed (errno \(errno))")
        }
    }

    static func read(from path: String) throws -> Policy {
        guard let file = fopen(path, "rb") else { throw CheckpointError(path: path, message: "cannot open") }
        defer { fclose(file) }
        let header = try bytes(44, from: file, path: path)
        guard Array(header[0..<8]) == magic else { throw CheckpointError(path: path, message: "not a policy checkpoint") }
        guard load(UInt32.self, header, 8) == version else {
            throw CheckpointError(path: path, message: "unknown version \(load(UInt32.self, header, 8))")
        }
        let fields = (0..<6).map { Int(load(UInt32.self, header, 12 + 4 * $0)) }
        guard fields[0] > 0, fields[1] > 0, fields[2] > 0, fields[3] > 0, fields[4] > 0, fields[2] % fields[4] == 0 else {
            throw CheckpointError(path: path, message: "invalid config \(fields)")
        }
        let config = TransformerConfig(vocabulary: fields[0], context: fields[1], width: fields[2],
                                       layers: fields[3], heads: fields[4], mlpMultiplier: fields[5])
        let count = Int(load(UInt64.self, header, 36))
        guard count == config.parameterCount else {
            throw CheckpointError(path: path, message: "holds \(count) parameters, the config needs \(config.parameterCount)")
        }
        let body = try bytes(4 * count, from: file, path: path)
        let parameters = (0..<count).map { Float(bitPattern: load(UInt32.self, body, 4 * $0)) }
        return Policy(config: config, parameters: parameters)
    }

    private static func append<T: FixedWidthInteger>(_ value: T, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { bytes += $0 }
    }

    private static func load<T: FixedWidthInteger>(_ type: T.Type, _ bytes: [UInt8], _ offset: Int) -> T {
        bytes.withUnsafeBytes { T(littleEndian: $0.loadUnaligned(fromByteOffset: offset, as: T.self)) }
    }

    private static func bytes(_ count: Int, from file: UnsafeMutablePointer<FILE>, path: String) throws -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: count)
        let got = buffer.withUnsafeMutableBytes { fread($0.baseAddress, 1, count, file) }
        guard got == count else { throw CheckpointError(path: path, message: "truncated: wanted \(count) bytes, got \(got)") }
        return buffer
    }
}
