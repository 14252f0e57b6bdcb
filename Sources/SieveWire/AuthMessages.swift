// The cluster-token handshake: challenge, auth and authProof. Both sides prove they hold the
// token with HMAC-SHA256 over fresh nonces; the token itself never crosses the wire.

/// Coordinator → worker, the answer to `hello` when the cluster has a token: prove you hold it.
public struct Challenge: Equatable, Sendable {
    /// 32 fresh random bytes.
    public var nonce: [UInt8]

    public init(nonce: [UInt8]) { self.nonce = nonce }
}

extension Challenge: PayloadCodable {
    @inlinable
    func encode(into writer: inout some FieldSink) { writer.bytes(nonce) }
    @inlinable
    init(from reader: inout ByteReader) throws { self.init(nonce: try reader.bytes("nonce")) }
}

/// Worker → coordinator: the worker's own nonce and its proof,
/// HMAC-SHA256(token, "gradsieve-worker-v1" ‖ challenge nonce ‖ worker nonce).
public struct Auth: Equatable, Sendable {
    public var nonce: [UInt8]
    public var proof: [UInt8]

    public init(nonce: [UInt8], proof: [UInt8]) {
        self.nonce = nonce
        self.proof = proof
    }
}

extension Auth: PayloadCodable {
    @inlinable
    func encode(into writer: inout some FieldSink) {
        writer.bytes(nonce)
        writer.bytes(proof)
    }

    @inlinable
    init(from reader: inout ByteReader) throws {
        self.init(nonce: try reader.bytes("nonce"), proof: try reader.bytes("proof"))
    }
}

/// Coordinator → worker, just before `welcome`: the coordinator's proof,
/// HMAC-SHA256(token, "gradsieve-coordinator-v1" ‖ worker nonce ‖ challenge nonce), so a worker
/// never works for an impostor.
public struct AuthProof: Equatable, Sendable {
    public var proof: [UInt8]

    public init(proof: [UInt8]) { self.proof = proof }
}

extension AuthProof: PayloadCodable {
    @inlinable
    func encode(into writer: inout some FieldSink) { writer.bytes(proof) }
    @inlinable
    init(from reader: inout ByteReader) throws { self.init(proof: try reader.bytes("proof")) }
}
