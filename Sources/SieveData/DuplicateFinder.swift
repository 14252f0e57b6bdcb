/// Detects repeated ids among millions of sample lines cheaply.
///
/// A `[String: Int]` would hash every id with SipHash and compare strings on
/// every probe; instead ids are keyed by their 64-bit `WordHasher` value and
/// a string comparison happens only when the hash matches. Distinct ids with
/// equal hashes (astronomically rare) fall back to an exact string table, so
/// the answer is always exact.
struct DuplicateFinder {
    private var firstLineByHash: [UInt64: Int] = [:]
    private var collided: [String: Int] = [:]

    mutating func reserve(_ count: Int) {
        firstLineByHash.reserveCapacity(count)
    }

    /// Records `id` seen on 1-based `line` and returns the line where it
    /// appeared before, or nil if it is new. `ids` holds the ids of lines
    /// 1..<line, in order.
    mutating func firstLine(of id: String, at line: Int, ids: [String]) -> Int? {
        var hasher = WordHasher()
        hasher.combine(id)
        let key = hasher.value
        guard let first = firstLineByHash[key] else {
            firstLineByHash[key] = line
            return nil
        }
        if ids[first - 1] == id { return first }
        if let earlier = collided[id] { return earlier }
        collided[id] = line
        return nil
    }
}
