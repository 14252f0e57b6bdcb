import SieveWire

/// Messages with values chosen to catch encoding mistakes: extremes of every
/// integer width, signed zero and extreme doubles, empty and non-ASCII strings,
/// empty arrays.
enum SampleMessages {
    static let awkwardDoubles: [Double] = [
        -0.0, 0.0, 1e-300, -1e-300, .greatestFiniteMagnitude, -.greatestFiniteMagnitude,
        .leastNonzeroMagnitude, .infinity, -.infinity, 1.5, -2.25, .pi,
    ]

    /// At least one of every message type, most of them more than once.
    static let all: [Message] = [
        .hello(Hello(workerName: "worker-α", productVersion: "0.1.0", slots: 4, dataPath: "")),
        .hello(Hello(workerName: "", productVersion: "", slots: .max, dataPath: "/data/ünïcödé/日本語.gsd")),
        .welcome(
            Welcome(
                workerID: .max, heartbeatMillis: 1500, runID: "run-2026-11-21", dataPath: "/srv/data.gsd",
                fingerprint: 0xDEAD_BEEF_CAFE_F00D, method: "gradient-dot", shardRows: 4096,
                validationShardRows: 1024)),
        .welcome(
            Welcome(
                workerID: 0, heartbeatMillis: 0, runID: "", dataPath: "", fingerprint: 0, method: "", shardRows: 0,
                validationShardRows: 0)),
        .reject(Reject(code: .dataMismatch, reason: "fingerprint 0x1 does not match 0x2 — check --data")),
        .reject(Reject(code: 999, reason: "")),
        .ready(Ready(fingerprint: .max, rows: 1 << 40, dimension: 768)),
        .heartbeat(Heartbeat(shardsInFlight: 0)),
        .heartbeat(Heartbeat(shardsInFlight: .max)),
        .reference(Reference(epoch: 3, vector: awkwardDoubles)),
        .reference(Reference(epoch: .max, vector: [])),
        .assign(Assignment(epoch: 1, phase: .validationSum, shard: 7, attempt: 0, rowStart: 0, rowCount: 1024)),
        .assign(Assignment(epoch: .max, phase: .score, shard: .max, attempt: .max, rowStart: .max, rowCount: .max)),
        .partialSum(PartialSum(epoch: 2, shard: 5, attempt: 1, rowCount: 1024, sum: awkwardDoubles)),
        .partialSum(PartialSum(epoch: 0, shard: 0, attempt: 0, rowCount: 0, sum: [])),
        .scores(
            ShardScores(
                epoch: 4, shard: 9, attempt: 2, rowStart: 1 << 33, rowCount: 4, columns: ["score", "norm", "ßcore"],
                values: awkwardDoubles)),
        .scores(ShardScores(epoch: 0, shard: 0, attempt: 0, rowStart: 0, rowCount: 0, columns: [], values: [])),
        .scores(ShardScores(epoch: 1, shard: 1, attempt: 1, rowStart: 10, rowCount: 0, columns: ["", "x"], values: [])),
        .shardFailed(ShardFailure(epoch: 1, shard: 2, attempt: 3, reason: "row 17: NaN gradient ⚠︎")),
        .shardFailed(ShardFailure(epoch: 0, shard: 0, attempt: 0, reason: "")),
        .curriculum(
            CurriculumMessage(epoch: 5, rows: [0, 1, .max, 1 << 63], scores: [-0.0, 1e-300, .greatestFiniteMagnitude, -1])),
        .curriculum(CurriculumMessage(epoch: 0, rows: [], scores: [])),
        .done(Done(status: Done.success, message: "selected 12345 rows")),
        .done(Done(status: Done.failed, message: "")),
        .error(ErrorMessage(code: 6, message: "malformed field hello.slots: needs 2 bytes but only 1 are left")),
        .error(ErrorMessage(code: 100, message: "out of memory — 内存不足")),
        .assign(Assignment(epoch: 2, phase: .trainingSum, shard: 3, attempt: 1, rowStart: 12288, rowCount: 4096)),
        .assignPart(PartAssignment(epoch: 1, part: 7, attempt: 2, budget: 100, rows: [0, 5, .max])),
        .assignPart(PartAssignment(epoch: 0, part: 0, attempt: 0, budget: 0, rows: [])),
        .partPicks(PartPicks(epoch: 1, part: 7, attempt: 2, picks: [5, 0], value: 12.5)),
        .partPicks(PartPicks(epoch: .max, part: .max, attempt: .max, picks: [], value: -0.0)),
        .challenge(Challenge(nonce: Array(0..<32))),
        .challenge(Challenge(nonce: [])),
        .auth(Auth(nonce: Array(repeating: 0xFF, count: 32), proof: Array(100..<132))),
        .authProof(AuthProof(proof: [0, 1, 2])),
        .assignTask(TaskAssignment(epoch: 2, task: 5, attempt: 1, kind: .gradient, step: 17, rows: [3, 99, .max])),
        .assignTask(TaskAssignment(epoch: 0, task: 0, attempt: 0, kind: .evaluation, step: 0, rows: [])),
        .taskResult(TaskResult(epoch: 2, task: 5, attempt: 1, values: awkwardDoubles)),
        .weights(Weights(version: 9, epoch: 3, values: [0.5, -1e-8, 3])),
    ]

    /// One small, realistic message of every type, in type order, for the hex
    /// examples in docs/protocol.md.
    static let examples: [(message: Message, requestID: UInt32)] = [
        (.hello(Hello(workerName: "w1", productVersion: "0.1.0", slots: 2, dataPath: "")), 1),
        (
            .welcome(
                Welcome(
                    workerID: 1, heartbeatMillis: 1000, runID: "r1", dataPath: "/d.gsd",
                    fingerprint: 0x0123_4567_89AB_CDEF, method: "dot", shardRows: 4096, validationShardRows: 1024)), 1
        ),
        (.reject(Reject(code: .runOver, reason: "run over")), 1),
        (.ready(Ready(fingerprint: 0x0123_4567_89AB_CDEF, rows: 100_000, dimension: 3)), 0),
        (.heartbeat(Heartbeat(shardsInFlight: 2)), 0),
        (.reference(Reference(epoch: 1, vector: [1.0, -0.0, 0.5])), 0),
        (.assign(Assignment(epoch: 1, phase: .score, shard: 7, attempt: 0, rowStart: 28672, rowCount: 4096)), 42),
        (.partialSum(PartialSum(epoch: 1, shard: 0, attempt: 0, rowCount: 1024, sum: [2.0, -1.5, 0.25])), 41),
        (
            .scores(
                ShardScores(
                    epoch: 1, shard: 7, attempt: 0, rowStart: 28672, rowCount: 2, columns: ["score", "norm"],
                    values: [0.5, 1.0, -0.25, 2.0])), 42
        ),
        (.shardFailed(ShardFailure(epoch: 1, shard: 7, attempt: 0, reason: "disk")), 42),
        (.curriculum(CurriculumMessage(epoch: 1, rows: [28672, 5], scores: [0.5, -0.25])), 0),
        (.done(Done(status: Done.success, message: "ok")), 0),
        (.error(ErrorMessage(code: 3, message: "bad magic")), 0),
        (.assignPart(PartAssignment(epoch: 1, part: 3, attempt: 0, budget: 2, rows: [5, 9, 40])), 43),
        (.partPicks(PartPicks(epoch: 1, part: 3, attempt: 0, picks: [9, 5], value: 2.75)), 43),
        (.challenge(Challenge(nonce: [0x01, 0x02, 0x03, 0x04])), 1),
        (.auth(Auth(nonce: [0x0a, 0x0b], proof: [0xaa, 0xbb, 0xcc])), 1),
        (.authProof(AuthProof(proof: [0x5a, 0xa5])), 1),
        (.assignTask(TaskAssignment(epoch: 1, task: 2, attempt: 0, kind: .gradient, step: 3, rows: [10, 11])), 44),
        (.taskResult(TaskResult(epoch: 1, task: 2, attempt: 0, values: [0.25, 8])), 44),
        (.weights(Weights(version: 4, epoch: 1, values: [1.0, -0.5])), 0),
    ]
}

extension SampleMessages {
    /// Every message type that has an array, with arrays of `count` elements (at 8,192 and
    /// more, 64 KiB: large enough to be written as a segment and received in place). Values
    /// are every kind of bit pattern, NaN payloads included.
    static func withLargeArrays(count: Int = 10_000, seed: UInt64 = 1) -> [Message] {
        var state = seed
        func word() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state ^ (state >> 29)
        }
        let doubles = (0..<count).map { _ in Double(bitPattern: word()) }
        let rows = (0..<count).map { _ in word() }
        return [
            .reference(Reference(epoch: 2, vector: doubles)),
            .partialSum(PartialSum(epoch: 2, shard: 3, attempt: 1, rowCount: UInt64(count), sum: doubles)),
            .scores(ShardScores(epoch: 2, shard: 4, attempt: 0, rowStart: 1 << 33, rowCount: UInt32(count / 4),
                                columns: ["score", "cosine", "grad_norm", "ßuccess"], values: Array(doubles[0..<(count / 4 * 4)]))),
            .curriculum(CurriculumMessage(epoch: 3, rows: rows, scores: doubles)),
            .assignPart(PartAssignment(epoch: 1, part: 2, attempt: 0, budget: 100, rows: rows)),
            .partPicks(PartPicks(epoch: 1, part: 2, attempt: 3, picks: rows, value: -0.0)),
            .assignTask(TaskAssignment(epoch: 1, task: 9, attempt: 0, kind: .gradient, step: 4, rows: rows)),
            .taskResult(TaskResult(epoch: 1, task: 9, attempt: 0, values: doubles)),
            .weights(Weights(version: 7, epoch: 1, values: doubles)),
        ]
    }
}
