/// Global ranking: best score first, ties to the lower row, so a ranking never depends on the
/// order in which shard results arrived.
public enum Ranking {
    /// True when (scoreA, rowA) ranks ahead of (scoreB, rowB).
    @inline(__always)
    public static func ranksAhead(_ scoreA: Double, _ rowA: Int, _ scoreB: Double, _ rowB: Int) -> Bool {
        scoreA > scoreB || (scoreA == scoreB && rowA < rowB)
    }

    /// The rows of the `k` best scores, best first. O(N log k) with a bounded heap whose root
    /// is the worst row kept so far.
    public static func top(_ k: Int, of scores: [Double]) -> [Int] {
        let k = min(max(k, 0), scores.count)
        guard k > 0 else { return [] }
        var heap: [Int] = []
        heap.reserveCapacity(k)
        // "worse(a, b)": a ranks behind b. The heap keeps the worst kept row at index 0.
        func worse(_ a: Int, _ b: Int) -> Bool { ranksAhead(scores[b], b, scores[a], a) }
        for row in scores.indices {
            if heap.count < k {
                heap.append(row)
                siftUp(&heap, heap.count - 1, worse)
            } else if ranksAhead(scores[row], row, scores[heap[0]], heap[0]) {
                heap[0] = row
                siftDown(&heap, 0, worse)
            }
        }
        return heap.sorted { ranksAhead(scores[$0], $0, scores[$1], $1) }
    }

    /// The rows in 0..<count of the `k` best scores, best first, among the rows `score` keeps
    /// (a nil score leaves the row out); the same heap as `top(_:of:)`, without an array of the
    /// kept rows or their scores: memory is O(k), whatever `count` is.
    public static func top(_ k: Int, count: Int, score: (Int) -> Double?) -> [Int] {
        guard k > 0, count > 0 else { return [] }
        var heap: [Int] = [], heapScores: [Double] = []
        heap.reserveCapacity(min(k, count))
        heapScores.reserveCapacity(min(k, count))
        // Slot i of the heap holds a row and its score; the worst kept row sits at slot 0.
        func worse(_ a: Int, _ b: Int) -> Bool { ranksAhead(heapScores[b], heap[b], heapScores[a], heap[a]) }
        func swap(_ a: Int, _ b: Int) {
            heap.swapAt(a, b)
            heapScores.swapAt(a, b)
        }
        for row in 0..<count {
            guard let value = score(row) else { continue }
            if heap.count < k {
                heap.append(row)
                heapScores.append(value)
                var child = heap.count - 1
                while child > 0 {
                    let parent = (child - 1) / 2
                    guard worse(child, parent) else { break }
                    swap(child, parent)
                    child = parent
                }
            } else if ranksAhead(value, row, heapScores[0], heap[0]) {
                heap[0] = row
                heapScores[0] = value
                var parent = 0
                while true {
                    let left = 2 * parent + 1, right = left + 1
                    var worst = parent
                    if left < heap.count && worse(left, worst) { worst = left }
                    if right < heap.count && worse(right, worst) { worst = right }
                    guard worst != parent else { break }
                    swap(parent, worst)
                    parent = worst
                }
            }
        }
        let order = heap.indices.sorted { ranksAhead(heapScores[$0], heap[$0], heapScores[$1], heap[$1]) }
        return order.map { heap[$0] }
    }

    private static func siftUp(_ heap: inout [Int], _ start: Int, _ worse: (Int, Int) -> Bool) {
        var child = start
        while child > 0 {
            let parent = (child - 1) / 2
            guard worse(heap[child], heap[parent]) else { return }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    private static func siftDown(_ heap: inout [Int], _ start: Int, _ worse: (Int, Int) -> Bool) {
        var parent = start
        while true {
            let left = 2 * parent + 1, right = left + 1
            var target = parent
            if left < heap.count && worse(heap[left], heap[target]) { target = left }
            if right < heap.count && worse(heap[right], heap[target]) { target = right }
            if target == parent { return }
            heap.swapAt(parent, target)
            parent = target
        }
    }
}
