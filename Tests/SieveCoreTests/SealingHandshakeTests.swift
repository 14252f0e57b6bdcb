import SieveCore
import SieveSeal
import SieveWire
import XCTest

/// Issue 14.3: after the token handshake both cores hand their shell the same connection keys,
/// each at the point docs/protocol.md section 8 fixes: the coordinator right after sending
/// `authProof` (so `welcome` is the first frame it seals), the worker right after checking it.
final class SealingHandshakeTests: XCTestCase {
    let token = ClusterToken(secret: Array("a cluster token of enough length".utf8))!
    let challenge = [UInt8](repeating: 7, count: 32)
    let workerNonce = [UInt8](repeating: 9, count: 32)
    let shape = PoolShape(rows: 10, validationRows: 3, dimension: 2, fingerprint: 0xfeed)

    func coordinator(token: ClusterToken?) -> CoordinatorCore {
        var configuration = RunConfiguration(method: .gradalign, parameters: MethodParameters(budget: 3), expectWorkers: 1, shardRows: 4,
                                             validationShardRows: 2, dataPath: "/data", runID: "r1")
        configuration.token = token
        let fixed = challenge
        return CoordinatorCore(configuration: configuration, shape: shape, nonce: { fixed })
    }

    static func index(_ directives: [CoordinatorDirective], _ matches: (CoordinatorDirective) -> Bool) -> Int? {
        directives.firstIndex(where: matches)
    }

    func testTheCoordinatorSealsFromWelcomeOnWithTheKeysOfTheHandshake() throws {
        var core = coordinator(token: token)
        _ = core.handle(.connected(1, peer: "peer1"))
        let challenged = core.handle(.received(1, .hello(Hello(workerName: "w", productVersion: "t", slots: 1, dataPath: "")), requestID: 3))
        XCTAssertNil(Self.index(challenged) { if case .startSealing = $0 { return true }; return false }, "\(challenged)")
        let proved = core.handle(.received(1, .auth(Auth(nonce: workerNonce, proof: token.workerProof(challenge: challenge, workerNonce: workerNonce))),
                                           requestID: 4))
        let proof = try XCTUnwrap(Self.index(proved) { if case .send(1, .authProof, _) = $0 { return true }; return false }, "\(proved)")
        let sealing = try XCTUnwrap(Self.index(proved) { if case .startSealing(1, _) = $0 { return true }; return false }, "\(proved)")
        let welcome = try XCTUnwrap(Self.index(proved) { if case .send(1, .welcome, _) = $0 { return true }; return false }, "\(proved)")
        XCTAssertLessThan(proof, sealing)
        XCTAssertLessThan(sealing, welcome)
        guard case let .startSealing(_, keys) = proved[sealing] else { return XCTFail() }
        XCTAssertEqual(keys, SessionKeys.derive(secret: token.secret, challenge: challenge, workerNonce: workerNonce))
    }

    func testNoSealingWithoutATokenOrAfterAWrongProof() {
        var open = coordinator(token: nil)
        _ = open.handle(.connected(1, peer: "peer1"))
        let welcomed = open.handle(.received(1, .hello(Hello(workerName: "w", productVersion: "t", slots: 1, dataPath: "")), requestID: 3))
        XCTAssertNil(Self.index(welcomed) { if case .startSealing = $0 { return true }; return false })
        var guarded = coordinator(token: token)
        _ = guarded.handle(.connected(2, peer: "peer2"))
        _ = guarded.handle(.received(2, .hello(Hello(workerName: "w", productVersion: "t", slots: 1, dataPath: "")), requestID: 3))
        let refused = guarded.handle(.received(2, .auth(Auth(nonce: workerNonce, proof: [UInt8](repeating: 0, count: 32))), requestID: 4))
        XCTAssertNil(Self.index(refused) { if case .startSealing = $0 { return true }; return false }, "\(refused)")
        XCTAssertNotNil(Self.index(refused) { if case .send(2, .reject, _) = $0 { return true }; return false }, "\(refused)")
    }

    func testTheWorkerSealsOnceTheCoordinatorProvedItselfWithTheSameKeys() throws {
        let nonce = workerNonce
        var worker = WorkerCore(name: "w", slots: 1, ownDataPath: nil, token: token, nonce: { nonce })
        _ = worker.handle(.connected)
        let auth = worker.handle(.received(.challenge(Challenge(nonce: challenge)), requestID: 1))
        XCTAssertFalse(auth.contains { if case .startSealing = $0 { return true }; return false }, "\(auth)")
        let proven = worker.handle(.received(.authProof(AuthProof(proof: token.coordinatorProof(challenge: challenge, workerNonce: nonce))),
                                             requestID: 1))
        guard proven.count == 1, case let .startSealing(keys) = proven[0] else { return XCTFail("\(proven)") }
        XCTAssertEqual(keys, SessionKeys.derive(secret: token.secret, challenge: challenge, workerNonce: nonce))

        var fooled = WorkerCore(name: "w", slots: 1, ownDataPath: nil, token: token, nonce: { nonce })
        _ = fooled.handle(.connected)
        _ = fooled.handle(.received(.challenge(Challenge(nonce: challenge)), requestID: 1))
        let refused = fooled.handle(.received(.authProof(AuthProof(proof: [UInt8](repeating: 1, count: 32))), requestID: 1))
        XCTAssertFalse(refused.contains { if case .startSealing = $0 { return true }; return false }, "\(refused)")
    }
}
