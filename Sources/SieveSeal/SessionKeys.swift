import Crypto

/// The two keys of one connection that authenticated with the cluster token: one seals what the
/// coordinator sends, the other what the worker sends, so no frame can be reflected back to
/// its sender and the two counters never share a nonce under one key.
///
/// Derived with HKDF-SHA256 (RFC 5869) from the token and the handshake's two nonces; fresh
/// nonces on both sides make every connection's keys new, even for a worker that reconnects.
/// The token itself is the input key material, so a party without it cannot derive them.
/// There is no forward secrecy: whoever later learns the token and recorded a connection's
/// handshake can derive its keys.
public struct SessionKeys: Sendable, Equatable {
    /// The 32-byte key of frames the coordinator sends.
    public let coordinatorToWorker: [UInt8]
    /// The 32-byte key of frames the worker sends.
    public let workerToCoordinator: [UInt8]

    /// Which end of the connection is using the keys.
    public enum Side: Sendable { case coordinator, worker }

    public init(coordinatorToWorker: [UInt8], workerToCoordinator: [UInt8]) {
        self.coordinatorToWorker = coordinatorToWorker
        self.workerToCoordinator = workerToCoordinator
    }

    /// The keys of the connection whose handshake had the challenge nonce `challenge` (C) and
    /// the worker nonce `workerNonce` (W), for the token `secret` (the token file's bytes,
    /// trimmed as `ClusterToken` trims them):
    ///
    ///     salt = u32(|C|) ‖ C ‖ u32(|W|) ‖ W          (u32 big-endian: the wire's `bytes` encoding)
    ///     PRK  = HKDF-Extract(salt, secret)            (HMAC-SHA256)
    ///     coordinator → worker = HKDF-Expand(PRK, "gradsieve-seal-v1 coordinator to worker", 32)
    ///     worker → coordinator = HKDF-Expand(PRK, "gradsieve-seal-v1 worker to coordinator", 32)
    public static func derive(secret: [UInt8], challenge: [UInt8], workerNonce: [UInt8]) -> SessionKeys {
        let salt = Self.bytesField(challenge) + Self.bytesField(workerNonce)
        let material = SymmetricKey(data: secret)
        func expand(_ info: String) -> [UInt8] {
            HKDF<SHA256>.deriveKey(inputKeyMaterial: material, salt: salt, info: Array(info.utf8), outputByteCount: 32)
                .withUnsafeBytes { Array($0) }
        }
        return SessionKeys(coordinatorToWorker: expand(Seal.coordinatorToWorkerInfo),
                           workerToCoordinator: expand(Seal.workerToCoordinatorInfo))
    }

    /// The key `side` seals its frames with.
    public func sendingKey(for side: Side) -> [UInt8] {
        side == .coordinator ? coordinatorToWorker : workerToCoordinator
    }

    /// The key `side` opens its peer's frames with.
    public func receivingKey(for side: Side) -> [UInt8] {
        side == .coordinator ? workerToCoordinator : coordinatorToWorker
    }

    /// `side`'s sealer of the frames it sends.
    public func sealer(for side: Side, algorithm: SealAlgorithm = .protocolAlgorithm) -> FrameSealer {
        FrameSealer(key: sendingKey(for: side), algorithm: algorithm)
    }

    private static func bytesField(_ bytes: [UInt8]) -> [UInt8] {
        let count = UInt32(bytes.count)
        return [UInt8(count >> 24), UInt8(truncatingIfNeeded: count >> 16), UInt8(truncatingIfNeeded: count >> 8),
                UInt8(truncatingIfNeeded: count)] + bytes
    }
}
