import Crypto

/// The cluster token's challenge and response. Each side proves it holds the token with
/// HMAC-SHA256 over both sides' fresh nonces and a label naming the side, so the token never
/// crosses the wire and a proof cannot be replayed on another connection or reflected back.
public struct ClusterToken: Sendable, Equatable {
    public let secret: [UInt8]

    /// - Parameter secret: the token file's bytes, surrounding whitespace removed.
    public init?(secret: [UInt8]) {
        var bytes = secret[...]
        while let last = bytes.last, last == 10 || last == 13 || last == 32 || last == 9 { bytes = bytes.dropLast() }
        while let first = bytes.first, first == 10 || first == 13 || first == 32 || first == 9 { bytes = bytes.dropFirst() }
        guard !bytes.isEmpty else { return nil }
        self.secret = Array(bytes)
    }

    public func workerProof(challenge: [UInt8], workerNonce: [UInt8]) -> [UInt8] {
        mac(Self.workerMessage(challenge: challenge, workerNonce: workerNonce))
    }

    public func coordinatorProof(challenge: [UInt8], workerNonce: [UInt8]) -> [UInt8] {
        mac(Self.coordinatorMessage(challenge: challenge, workerNonce: workerNonce))
    }

    /// Whether `proof` is the worker's proof for these nonces (swift-crypto's constant-time
    /// check; a proof of another length is refused).
    public func isValidWorkerProof(_ proof: [UInt8], challenge: [UInt8], workerNonce: [UInt8]) -> Bool {
        HMAC<SHA256>.isValidAuthenticationCode(
            proof, authenticating: Self.workerMessage(challenge: challenge, workerNonce: workerNonce), using: key)
    }

    /// Whether `proof` is the coordinator's proof for these nonces (as `isValidWorkerProof`).
    public func isValidCoordinatorProof(_ proof: [UInt8], challenge: [UInt8], workerNonce: [UInt8]) -> Bool {
        HMAC<SHA256>.isValidAuthenticationCode(
            proof, authenticating: Self.coordinatorMessage(challenge: challenge, workerNonce: workerNonce), using: key)
    }

    /// Compares in constant time. Only `CoordinatorCore` still calls it (that file moves in the
    /// core split of issue 13, and then calls `isValidWorkerProof`); new code should not.
    public func verify(_ proof: [UInt8], expected: [UInt8]) -> Bool {
        guard proof.count == expected.count else { return false }
        return zip(proof, expected).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }

    private static func workerMessage(challenge: [UInt8], workerNonce: [UInt8]) -> [UInt8] {
        Array("gradsieve-worker-v1".utf8) + challenge + workerNonce
    }

    private static func coordinatorMessage(challenge: [UInt8], workerNonce: [UInt8]) -> [UInt8] {
        Array("gradsieve-coordinator-v1".utf8) + workerNonce + challenge
    }

    private var key: SymmetricKey { SymmetricKey(data: secret) }

    private func mac(_ message: [UInt8]) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: message, using: key))
    }

    /// 32 bytes from the system's cryptographic random source.
    public static func nonce() -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
    }
}
