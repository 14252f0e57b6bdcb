import SieveSeal
import SieveWire

/// Membership: the handshake (with the cluster token's challenge when there is one), who is
/// ready, who is refused and why, and who is lost to silence or a broken connection.
extension CoordinatorCore {
    mutating func receive(_ id: ConnectionID, _ message: Message, _ requestID: UInt32,
                          _ out: inout [CoordinatorDirective]) {
        switch (peers[id]!.state, message) {
        case let (.handshaking, .hello(hello)):
            if configuration.token != nil {
                let nonce = drawNonce()
                peers[id]!.state = .challenged(nonce: nonce, hello: hello, requestID: requestID)
                out.append(.send(id, .challenge(Challenge(nonce: nonce)), requestID: requestID))
            } else {
                welcome(id, hello, requestID, &out)
            }
        case let (.challenged(nonce, hello, helloID), .auth(auth)):
            let token = configuration.token!
            guard auth.nonce.count >= 16,
                  token.verify(auth.proof, expected: token.workerProof(challenge: nonce, workerNonce: auth.nonce)) else {
                reject(id, .unauthorized, "the cluster token proof does not match; check --token-file", &out)
                return
            }
            out.append(.send(id, .authProof(AuthProof(proof: token.coordinatorProof(challenge: nonce, workerNonce: auth.nonce))), requestID: helloID))
            out.append(.startSealing(id, SessionKeys.derive(secret: token.secret, challenge: nonce, workerNonce: auth.nonce)))
            welcome(id, hello, helloID, &out)
        case (.challenged, _):
            reject(id, .unauthorized, "expected auth after the challenge, not \(message.type)", &out)
        case (.handshaking, _):
            reject(id, .badHandshake, "the first message must be hello, not \(message.type)", &out)
        case let (.welcomed, .ready(ready)):
            becomeReady(id, ready, &out)
        case (.welcomed, .heartbeat), (.ready, .heartbeat):
            break
        case (.ready, .partialSum), (.ready, .scores), (.ready, .partPicks), (.ready, .taskResult):
            acceptResult(id, message, &out)
        case let (.ready, .shardFailed(failure)):
            shardFailed(id, failure, &out)
        case let (_, .error(error)):
            out.append(.log(.warning, "worker at \(peers[id]!.address) reported error \(error.code): \(error.message)"))
            drop(id, flush: false, &out)
        default:
            let error = WireError(code: .malformedField, message: "unexpected \(message.type) from a worker in state \(peers[id]!.state)")
            protocolError(id, error, &out)
        }
    }

    mutating func welcome(_ id: ConnectionID, _ hello: Hello, _ requestID: UInt32,
                          _ out: inout [CoordinatorDirective]) {
        if stage == .finished {
            reject(id, .runOver, "the run is over", &out)
            return
        }
        let workerID: UInt32
        if let free = freeWorkerIDs.min() {
            workerID = free
            freeWorkerIDs.removeAll { $0 == free }
        } else {
            workerID = nextWorkerID
            nextWorkerID += 1
        }
        peers[id]!.state = .welcomed
        peers[id]!.name = hello.workerName
        peers[id]!.slots = max(1, Int(hello.slots))
        peers[id]!.workerID = workerID
        let welcome = Welcome(workerID: workerID, heartbeatMillis: configuration.heartbeatMillis,
                              runID: configuration.runID, dataPath: configuration.dataPath,
                              fingerprint: shape.fingerprint, method: configuration.method.rawValue,
                              shardRows: UInt32(configuration.shardRows),
                              validationShardRows: UInt32(configuration.validationShardRows))
        out.append(.send(id, .welcome(welcome), requestID: requestID))
    }

    mutating func becomeReady(_ id: ConnectionID, _ ready: Ready, _ out: inout [CoordinatorDirective]) {
        guard ready.fingerprint == shape.fingerprint, ready.rows == UInt64(shape.rows) else {
            let reason = "worker data (fingerprint \(hex(ready.fingerprint)), \(ready.rows) rows) differs from the coordinator's (fingerprint \(hex(shape.fingerprint)), \(shape.rows) rows)"
            reject(id, .dataMismatch, reason, &out)
            return
        }
        peers[id]!.state = .ready
        let peer = peers[id]!
        workersSeen.append("\(peer.name)@\(peer.address)")
        out.append(.log(.info, "worker \(peer.workerID) (\(peer.name), \(peer.slots) slots) joined from \(peer.address)"))
        switch stage {
        case .waitingForWorkers:
            let readyCount = peers.values.filter { $0.state == .ready }.count
            if readyCount >= configuration.expectWorkers {
                let first = firstUnfinishedEpoch
                if first > 1 { out.append(.log(.info, "resuming at epoch \(first); epochs before it are in the journal")) }
                if first > configuration.epochs { continueAfter(first - 1, &out) } else { beginOrAwait(first, &out) }
            }
            else { out.append(.log(.info, "waiting for workers: \(readyCount) of \(configuration.expectWorkers) joined")) }
        case let .running(epoch, step) where step != .reduce(.validationSum) && step != .reduce(.trainingSum):
            broadcastWeights(epoch: epoch, to: [id], &out)
            if referenceAnnounced {
                out.append(.send(id, .reference(Reference(epoch: UInt32(epoch), vector: reference)), requestID: 0))
            }
            assignWork(&out)
        case let .running(epoch, _):
            broadcastWeights(epoch: epoch, to: [id], &out)
            assignWork(&out)
        case .writing, .waitingForData, .finished:
            break
        }
    }

    mutating func reject(_ id: ConnectionID, _ code: RejectCode, _ reason: String,
                                 _ out: inout [CoordinatorDirective]) {
        let address = peers[id]?.address ?? "unknown peer"
        out.append(.log(.warning, "refused \(address): \(reason)"))
        out.append(.send(id, .reject(Reject(code: code.rawValue, reason: reason)), requestID: 0))
        drop(id, flush: true, &out)
    }

    mutating func protocolError(_ id: ConnectionID, _ error: WireError, _ out: inout [CoordinatorDirective]) {
        guard let peer = peers[id] else { return }
        if peer.isHandshaking && error.code == .unsupportedVersion {
            reject(id, .unsupportedProtocolVersion, "\(error.message); this coordinator speaks protocol version \(Wire.protocolVersion)", &out)
            return
        }
        out.append(.log(.warning, "protocol error from \(peer.address): \(error.message); closing that connection"))
        out.append(.send(id, .error(ErrorMessage(code: error.wireCode, message: error.message)), requestID: 0))
        drop(id, flush: true, &out)
    }

    mutating func disconnected(_ id: ConnectionID, _ out: inout [CoordinatorDirective]) {
        guard let peer = peers[id] else { return }
        if peer.state == .ready && stage != .finished {
            out.append(.log(.warning, "worker \(peer.workerID) at \(peer.address) disconnected"))
        }
        forget(id, &out)
    }

    /// Closes a connection and gives its shards in flight back to the queue.
    mutating func drop(_ id: ConnectionID, flush: Bool, _ out: inout [CoordinatorDirective]) {
        guard peers[id] != nil else { return }
        out.append(.close(id, flush: flush))
        forget(id, &out)
    }

    mutating func forget(_ id: ConnectionID, _ out: inout [CoordinatorDirective]) {
        guard let peer = peers.removeValue(forKey: id) else { return }
        if peer.state == .welcomed { freeWorkerIDs.append(peer.workerID) }
        if !peer.inFlight.isEmpty, case .running = stage {
            for shard in peer.inFlight { work.requeue(shard) }
            out.append(.log(.warning, "requeued \(peer.inFlight.count) shard(s) of worker \(peer.workerID)"))
            assignWork(&out)
        }
    }

    mutating func checkTimeouts(_ out: inout [CoordinatorDirective]) {
        for (id, peer) in peers.sorted(by: { $0.key < $1.key }) {
            if peer.isHandshaking && now &- peer.connectedAt > configuration.handshakeTimeoutMillis {
                out.append(.log(.warning, "\(peer.address) did not complete the handshake in time"))
                drop(id, flush: false, &out)
            } else if !peer.isHandshaking && now &- peer.lastSeen > configuration.workerTimeoutMillis {
                out.append(.log(.warning, "worker \(peer.workerID) at \(peer.address) silent for \(now &- peer.lastSeen) ms: declared lost"))
                drop(id, flush: false, &out)
            }
        }
    }

    func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: max(0, 16 - digits.count)) + digits
    }
}
