import Crypto
import Foundation

/// The AEADs a sealed connection could use. The protocol fixes one, ``protocolAlgorithm``;
/// the other is here so that `gradsieve bench wire --parts sealed` can measure both, which is
/// how the protocol's was chosen (docs/benchmarks.md).
public enum SealAlgorithm: String, Sendable, CaseIterable {
    case aesGCM = "AES-256-GCM"
    case chaChaPoly = "ChaCha20-Poly1305"

    /// The AEAD of protocol version 2's sealed frames.
    public static let protocolAlgorithm = SealAlgorithm.aesGCM

    /// The ciphertext and tag of `plain` under `key` and the nonce of `counter`, with
    /// `associatedData` authenticated, handed to `body` as one buffer (ciphertext, then tag).
    func seal<R>(
        _ plain: UnsafeRawBufferPointer, key: SymmetricKey, counter: UInt64, associatedData: [UInt8],
        _ body: (UnsafeRawBufferPointer) -> R
    ) -> R {
        let nonce = Seal.nonce(counter)
        // Neither AEAD can fail here: the key is 32 bytes, the nonce 12, and a frame is far
        // below either AEAD's limit on a message's length.
        let combined: Data
        switch self {
        case .aesGCM:
            combined = try! AES.GCM.seal(plain, using: key, nonce: AES.GCM.Nonce(data: nonce), authenticating: associatedData)
                .combined!
        case .chaChaPoly:
            combined = try! ChaChaPoly.seal(plain, using: key, nonce: ChaChaPoly.Nonce(data: nonce), authenticating: associatedData)
                .combined
        }
        // combined is nonce, ciphertext, tag
        return combined.withUnsafeBytes { body(UnsafeRawBufferPointer(rebasing: $0[Seal.nonceLength...])) }
    }

    /// The plaintext of `sealed` (ciphertext, then tag), or nil when it fails authentication.
    func open(_ sealed: UnsafeRawBufferPointer, key: SymmetricKey, counter: UInt64, associatedData: [UInt8]) -> Data? {
        let nonce = Seal.nonce(counter)
        let split = sealed.count - Seal.tagLength
        let ciphertext = UnsafeRawBufferPointer(rebasing: sealed[..<split])
        let tag = UnsafeRawBufferPointer(rebasing: sealed[split...])
        switch self {
        case .aesGCM:
            guard let box = try? AES.GCM.SealedBox(nonce: AES.GCM.Nonce(data: nonce), ciphertext: ciphertext, tag: tag)
            else { return nil }
            return try? AES.GCM.open(box, using: key, authenticating: associatedData)
        case .chaChaPoly:
            guard let box = try? ChaChaPoly.SealedBox(nonce: ChaChaPoly.Nonce(data: nonce), ciphertext: ciphertext, tag: tag)
            else { return nil }
            return try? ChaChaPoly.open(box, using: key, authenticating: associatedData)
        }
    }
}
