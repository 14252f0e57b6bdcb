/// The shards of one phase: which wait, which run where (with their attempt number), which are
/// done. Shards are handed out lowest first.
struct PhaseWork {
    private(set) var pending: [Int]          // descending, so the lowest shard pops from the end
    private(set) var inFlight: [Int: (connection: Int, attempt: UInt32)] = [:]
    private(set) var attempts: [UInt32]
    private(set) var done: [Bool]
    private(set) var doneCount = 0

    init(shards: Int) {
        pending = Array((0..<shards).reversed())
        attempts = Array(repeating: 0, count: shards)
        done = Array(repeating: false, count: shards)
    }

    var total: Int { done.count }
    var isComplete: Bool { doneCount == done.count }
    var hasPending: Bool { !pending.isEmpty }

    /// Takes the lowest waiting shard for `connection`, with its attempt number (0 the first
    /// time, one more for each reassignment).
    mutating func take(for connection: Int) -> (shard: Int, attempt: UInt32)? {
        guard let shard = pending.popLast() else { return nil }
        let attempt = attempts[shard]
        attempts[shard] += 1
        inFlight[shard] = (connection, attempt)
        return (shard, attempt)
    }

    /// True when a result for (shard, attempt) from `connection` is the one awaited; a result
    /// from an earlier attempt, another worker, or for a finished shard is not.
    func isCurrent(shard: Int, attempt: UInt32, connection: Int) -> Bool {
        guard shard >= 0, shard < done.count, !done[shard], let current = inFlight[shard] else { return false }
        return current.connection == connection && current.attempt == attempt
    }

    /// A shard whose result came from the journal: done without ever being assigned.
    mutating func completeRestored(_ shard: Int) {
        pending.removeAll { $0 == shard }
        complete(shard)
    }

    private(set) var failures: [Int: Int] = [:]

    /// Counts a failure of `shard` and puts it back in line; returns the failures so far.
    mutating func fail(_ shard: Int) -> Int {
        failures[shard, default: 0] += 1
        requeue(shard)
        return failures[shard]!
    }

    var inFlightCount: Int { inFlight.count }

    mutating func complete(_ shard: Int) {
        inFlight[shard] = nil
        done[shard] = true
        doneCount += 1
    }

    /// Puts a shard that lost its worker back in line.
    mutating func requeue(_ shard: Int) {
        guard shard < done.count, !done[shard] else { return }
        inFlight[shard] = nil
        let position = pending.firstIndex { $0 < shard } ?? pending.count
        pending.insert(shard, at: position)
    }
}
