import ArgumentParser
import Foundation
import SieveData
import SieveKernels
import SieveUV
import SieveWire

/// Many lightweight simulated workers in one process, for a scale test of the coordinator
/// alone. Each speaks the real protocol over its own TCP connection: hello, welcome, ready
/// (with the pool's real fingerprint and row count), heartbeats, and an immediate answer to
/// every `assign`: accuracy-band and random scores computed from the pool's `success` signal
/// as a real worker computes them; for gradalign, the real validation sums (phase 1) and
/// stand-in score rows of the right shape (phase 2: cosine p - 0.5, grad_norm 1), so the
/// coordinator does all of its work without the workers reading gradients. They answer as
/// fast as the loop can, so the coordinator is the bottleneck being measured.
struct BenchSimWorkers: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sim-workers",
        abstract: "Simulated workers (hundreds of connections from one process) for a coordinator scale test.")

    @Option(help: "The coordinator's HOST:PORT.")
    var connect: String

    @Option(help: "Simulated workers (one TCP connection each).")
    var workers: Int = 200

    @Option(help: "Slots each simulated worker announces.")
    var slots: Int = 1

    @Option(help: "The pool the coordinator serves (for the fingerprint, rows and success signal).")
    var data: String

    func validate() throws {
        guard Endpoint(parsing: connect) != nil else { throw ValidationError("--connect \(connect) is not HOST:PORT") }
        guard workers > 0, slots > 0 else { throw ValidationError("--workers and --slots must be positive") }
    }

    func run() throws {
        let opened = BenchClock.now()
        let pool = try Pool.open(directory: data, readIDs: false)
        BenchReport.note("sim-workers: pool opened in \(String(format: "%.2f", BenchClock.now() - opened)) s: \(pool.rowCount) rows")
        let loop = try EventLoop()
        let fleet = SimFleet(loop: loop, pool: pool, endpoint: Endpoint(parsing: connect)!, slots: slots)
        for index in 0..<workers { fleet.start(index) }
        loop.run()
        loop.shutdown()
        fleet.report()
        if let failure = fleet.failure { throw CommandFailure(failure) }
    }
}

/// The shared state of every simulated worker, all on one loop thread.
private final class SimFleet {
    let loop: EventLoop
    let pool: Pool
    let endpoint: Endpoint
    let slots: Int
    var failure: String?
    var heartbeat: LoopTimer?
    var connections: [Int: TCPConnection] = [:]
    var shardsAnswered = 0
    var rowsAnswered = 0
    var bytesSent = 0
    /// Per epoch: the first assign seen and the curriculum's arrival (loop-independent clock).
    var firstAssign: [UInt32: Double] = [:]
    var lastScores: [UInt32: Double] = [:]
    var curriculumAt: [UInt32: Double] = [:]
    var answerSeconds = 0.0
    var joined = 0
    var started = BenchClock.now()

    init(loop: EventLoop, pool: Pool, endpoint: Endpoint, slots: Int) {
        self.loop = loop
        self.pool = pool
        self.endpoint = endpoint
        self.slots = slots
    }

    func start(_ index: Int, attempt: Int = 0) {
        TCPConnection.connect(loop: loop, to: endpoint) { [unowned self] result in
            switch result {
            case let .failure(error):
                if attempt < 50 {
                    // The coordinator may still be starting; retry a little later.
                    let timer = try? LoopTimer(loop: self.loop)
                    timer?.start(timeoutMillis: 100) { [unowned self] in
                        timer?.close()
                        self.start(index, attempt: attempt + 1)
                    }
                } else {
                    self.failure = "worker \(index) cannot connect: \(error)"
                }
            case let .success(connection):
                self.attach(index, connection)
            }
        }
    }

    private func attach(_ index: Int, _ connection: TCPConnection) {
        connections[index] = connection
        var decoder = FrameDecoder()
        var method = ""
        connection.onRead = { [unowned self, unowned connection] bytes in
            decoder.append(bytes)
            do {
                while let (message, requestID) = try decoder.nextMessage() {
                    try self.handle(message, requestID: requestID, on: connection, method: &method)
                }
            } catch {
                self.failure = self.failure ?? "worker \(index): \(error)"
                connection.close()
            }
        }
        connection.onClose = { [unowned self] _ in
            self.connections[index] = nil
            if self.connections.isEmpty {
                self.heartbeat?.close()
                self.heartbeat = nil
            }
        }
        connection.startReading()
        send(.hello(Hello(workerName: "sim-\(index + 1)", productVersion: "0.1.0", slots: UInt16(slots), dataPath: "")),
             requestID: 1, on: connection)
    }

    private func send(_ message: Message, requestID: UInt32, on connection: TCPConnection) {
        let bytes = message.encoded(requestID: requestID)
        bytesSent += bytes.count
        connection.write(bytes)
    }

    private func handle(_ message: Message, requestID: UInt32, on connection: TCPConnection, method: inout String) throws {
        switch message {
        case let .welcome(welcome):
            method = welcome.method
            guard ["accuracy-band", "random", "gradalign"].contains(method) else {
                throw CommandFailure("simulated workers answer accuracy-band, random and gradalign only, not \(method)")
            }
            send(.ready(Ready(fingerprint: pool.fingerprint, rows: UInt64(pool.rowCount), dimension: UInt32(pool.dimension ?? 0))),
                 requestID: 0, on: connection)
            joined += 1
            startHeartbeat(welcome.heartbeatMillis)
        case let .assign(assignment):
            let now = BenchClock.now()
            if firstAssign[assignment.epoch] == nil { firstAssign[assignment.epoch] = now }
            if assignment.phase == .validationSum {
                let sum = try validationSum(assignment)
                answerSeconds += BenchClock.now() - now
                send(.partialSum(sum), requestID: requestID, on: connection)
                return
            }
            let scores = try answer(assignment, method: method)
            answerSeconds += BenchClock.now() - now
            send(.scores(scores), requestID: requestID, on: connection)
            lastScores[assignment.epoch] = BenchClock.now()
            shardsAnswered += 1
            rowsAnswered += Int(assignment.rowCount)
        case let .curriculum(curriculum):
            if curriculumAt[curriculum.epoch] == nil { curriculumAt[curriculum.epoch] = BenchClock.now() }
        case .reference, .authProof:
            break
        case .done:
            connection.close()
        case let .reject(reject):
            throw CommandFailure("rejected: \(reject.reason)")
        case let .error(error):
            throw CommandFailure("coordinator error \(error.code): \(error.message)")
        default:
            throw CommandFailure("unexpected \(message.type)")
        }
    }

    /// What a real worker sends for this shard: accuracy-band [-|p - 0.5|, p] or random [0].
    private func answer(_ assignment: Assignment, method: String) throws -> ShardScores {
        let rows = Int(assignment.rowStart)..<(Int(assignment.rowStart) + Int(assignment.rowCount))
        var values: [Double] = []
        let columns: [String]
        if method == "random" {
            columns = ["score"]
            values = [Double](repeating: 0, count: rows.count)
        } else if method == "gradalign" {
            columns = ["score", "cosine", "grad_norm"] + (pool.hasSuccess ? ["success"] : [])
            values.reserveCapacity(rows.count * columns.count)
            for segment in pool.segments(rows: rows) {
                let success = pool.floats("success", segment) ?? [Float](repeating: 0.5, count: segment.count)
                for p in success {
                    let cosine = Double(p) - 0.5
                    values += pool.hasSuccess ? [cosine, cosine, 1, Double(p)] : [cosine, cosine, 1]
                }
            }
        } else {
            columns = ["score", "success"]
            values.reserveCapacity(rows.count * 2)
            for segment in pool.segments(rows: rows) {
                guard let success = pool.floats("success", segment) else { throw CommandFailure("the pool has no success tensor") }
                for p in success {
                    values.append(-abs(Double(p) - 0.5))
                    values.append(Double(p))
                }
            }
        }
        return ShardScores(epoch: assignment.epoch, shard: assignment.shard, attempt: assignment.attempt,
                           rowStart: assignment.rowStart, rowCount: assignment.rowCount, columns: columns, values: values)
    }

    /// The real phase-1 answer: the validation gradients of the shard, added in Float64.
    private func validationSum(_ assignment: Assignment) throws -> PartialSum {
        guard let dimension = pool.dimension, let dtype = pool.validationGradType else {
            throw CommandFailure("the pool has no validation gradients")
        }
        let type: ElementType = dtype == .f16 ? .float16 : dtype == .bf16 ? .bfloat16 : .float32
        var sum = [Double](repeating: 0, count: dimension)
        let rows = Int(assignment.rowStart)..<(Int(assignment.rowStart) + Int(assignment.rowCount))
        for segment in pool.validationSegments(rows: rows) {
            let bytes = pool.gradBytes(segment, validation: true)
            _ = sum.withUnsafeMutableBufferPointer {
                RowKernels.addRows(bytes.baseAddress!, count: segment.count, dimension: dimension, type: type, into: $0)
            }
        }
        return PartialSum(epoch: assignment.epoch, shard: assignment.shard, attempt: assignment.attempt,
                          rowCount: UInt64(assignment.rowCount), sum: sum)
    }

    private func startHeartbeat(_ millis: UInt32) {
        guard heartbeat == nil, let timer = try? LoopTimer(loop: loop) else { return }
        heartbeat = timer
        let interval = UInt64(max(millis, 10))
        timer.start(timeoutMillis: interval, repeatMillis: interval) { [unowned self] in
            for connection in self.connections.values {
                self.send(.heartbeat(Heartbeat(shardsInFlight: 0)), requestID: 0, on: connection)
            }
        }
    }

    func report() {
        BenchReport.note("sim-workers: \(joined) joined, \(shardsAnswered) shards, \(rowsAnswered) rows answered, \(bytesSent / 1_000_000) MB sent; answering took \(String(format: "%.2f", answerSeconds)) s of the sims' loop")
        for epoch in firstAssign.keys.sorted() {
            guard let first = firstAssign[epoch] else { continue }
            if let curriculum = curriculumAt[epoch] {
                BenchReport.result("sim epoch \(epoch) latency (first assign -> curriculum)", best: curriculum - first,
                                   median: curriculum - first, unit: "s")
                if let last = lastScores[epoch] {
                    BenchReport.result("sim epoch \(epoch) last scores -> curriculum", best: curriculum - last,
                                       median: curriculum - last, unit: "s")
                }
            }
        }
    }
}
