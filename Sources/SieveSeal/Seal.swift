import SieveWire

/// Constants of sealed frames (docs/protocol.md, section 8): what a connection with a cluster
/// token sends after its handshake. Changing any of them breaks compatibility with peers.
///
/// ```
///  0               4                                   4+n             4+n+16
///  +---------------+-----------------------------------+---------------+
///  | sealed length |  ciphertext of one whole plain    |  tag          |
///  |   u32 = n+16  |  frame (header included), n bytes |  16 bytes     |
///  +---------------+-----------------------------------+---------------+
/// ```
///
/// The AEAD is AES-256-GCM (``SealAlgorithm/protocolAlgorithm``); its associated data is the
/// four bytes of the sealed length, and its nonce is four zero bytes and then the direction's
/// frame counter as a big-endian `u64` (0 for the first sealed frame of each direction).
public enum Seal {
    /// Bytes of the AEAD's tag at the end of every sealed frame.
    public static let tagLength = 16
    /// Bytes of the sealed length field in front of every sealed frame.
    public static let lengthFieldSize = 4
    /// Bytes a sealed frame has beyond the plain frame it carries (length field and tag).
    public static let overhead = lengthFieldSize + tagLength
    /// Bytes of the AEAD's nonce: 4 zero bytes, then the counter (big-endian `u64`).
    public static let nonceLength = 12
    /// The smallest sealed length field: the tag and the smallest plain frame (a 12-byte header).
    public static let minimumSealedLength = Wire.headerLength + tagLength

    /// The largest sealed length field for a receiver whose plain frames' length field may be
    /// at most `maximumFrameLength`: the whole plain frame (4 + its length) and the tag.
    public static func maximumSealedLength(forMaximumFrameLength maximumFrameLength: Int) -> Int {
        maximumFrameLength + lengthFieldSize + tagLength
    }

    /// HKDF info of the key that seals what the coordinator sends (ASCII, no terminator).
    public static let coordinatorToWorkerInfo = "gradsieve-seal-v1 coordinator to worker"
    /// HKDF info of the key that seals what a worker sends.
    public static let workerToCoordinatorInfo = "gradsieve-seal-v1 worker to coordinator"

    /// The nonce of frame number `counter`: `00 00 00 00` and the counter, big-endian.
    static func nonce(_ counter: UInt64) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: nonceLength)
        for index in 0..<8 { bytes[4 + index] = UInt8(truncatingIfNeeded: counter >> (56 - 8 * UInt64(index))) }
        return bytes
    }

    /// The sealed length field's four bytes (the AEAD's associated data).
    static func lengthField(_ sealedLength: Int) -> [UInt8] {
        let value = UInt32(sealedLength)
        return [UInt8(value >> 24), UInt8(truncatingIfNeeded: value >> 16), UInt8(truncatingIfNeeded: value >> 8),
                UInt8(truncatingIfNeeded: value)]
    }
}
