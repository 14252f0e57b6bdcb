import SieveCore
import XCTest

/// The proofs of the token handshake, checked with swift-crypto's `isValidAuthenticationCode`.
final class ClusterTokenTests: XCTestCase {
    private let token = ClusterToken(secret: Array(" s3cret\n".utf8))!
    private let other = ClusterToken(secret: Array("another".utf8))!
    private let challenge = [UInt8](repeating: 7, count: 32)
    private let nonce = [UInt8](repeating: 9, count: 32)

    func testTheSecretIsTheFilesBytesWithoutSurroundingWhitespace() {
        XCTAssertEqual(token.secret, Array("s3cret".utf8))
        XCTAssertNil(ClusterToken(secret: Array(" \n\t".utf8)))
    }

    func testEachSideAcceptsTheOthersProofAndOnlyThat() {
        let workerProof = token.workerProof(challenge: challenge, workerNonce: nonce)
        let coordinatorProof = token.coordinatorProof(challenge: challenge, workerNonce: nonce)
        XCTAssertEqual(workerProof.count, 32)
        XCTAssertTrue(token.isValidWorkerProof(workerProof, challenge: challenge, workerNonce: nonce))
        XCTAssertTrue(token.isValidCoordinatorProof(coordinatorProof, challenge: challenge, workerNonce: nonce))
        // Reflected: one side's proof is not the other's.
        XCTAssertFalse(token.isValidWorkerProof(coordinatorProof, challenge: challenge, workerNonce: nonce))
        XCTAssertFalse(token.isValidCoordinatorProof(workerProof, challenge: challenge, workerNonce: nonce))
        // Replayed on another connection (other nonces), or made with another token.
        XCTAssertFalse(token.isValidWorkerProof(workerProof, challenge: nonce, workerNonce: challenge))
        XCTAssertFalse(token.isValidWorkerProof(other.workerProof(challenge: challenge, workerNonce: nonce),
                                                challenge: challenge, workerNonce: nonce))
        // One bit changed, cut short, empty, or longer.
        var flipped = workerProof
        flipped[31] ^= 1
        XCTAssertFalse(token.isValidWorkerProof(flipped, challenge: challenge, workerNonce: nonce))
        XCTAssertFalse(token.isValidWorkerProof(Array(workerProof.prefix(16)), challenge: challenge, workerNonce: nonce))
        XCTAssertFalse(token.isValidWorkerProof([], challenge: challenge, workerNonce: nonce))
        XCTAssertFalse(token.isValidWorkerProof(workerProof + [0], challenge: challenge, workerNonce: nonce))
    }

    /// The coordinator's compare (until the core split moves it to `isValidWorkerProof`) agrees.
    func testVerifyAgreesWithIsValidWorkerProof() {
        let proof = token.workerProof(challenge: challenge, workerNonce: nonce)
        for candidate in [proof, Array(proof.prefix(16)), [], proof.map { $0 ^ 1 }] {
            XCTAssertEqual(token.verify(candidate, expected: proof),
                           token.isValidWorkerProof(candidate, challenge: challenge, workerNonce: nonce))
        }
    }
}
