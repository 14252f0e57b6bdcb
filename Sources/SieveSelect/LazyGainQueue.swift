/// The priority queue of lazy greedy: one entry per candidate not yet picked, holding an upper
/// bound on its gain and the round in which that bound was computed. The root is the entry that
/// ranks ahead of all others: highest bound, ties to the lower row.
///
/// Submodularity makes a gain computed in an earlier round an upper bound on the gain now, and
/// that holds in floating point too here (each term max(0, c - cover) only shrinks as the cover
/// grows, and rounding is monotone), so a root whose bound is from the current round is exactly
/// the candidate plain greedy would pick.
struct LazyGainQueue {
    struct Entry {
        var bound: Double
        var row: Int
        var index: Int
        var round: Int
    }

    private var heap: [Entry] = []

    var isEmpty: Bool { heap.isEmpty }

    init(_ entries: [Entry]) {
        heap = entries
        for start in stride(from: heap.count / 2 - 1, through: 0, by: -1) {
            siftDown(start)
        }
    }

    mutating func push(_ entry: Entry) {
        heap.append(entry)
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard ahead(heap[child], heap[parent]) else { return }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    mutating func pop() -> Entry {
        let root = heap[0]
        let last = heap.removeLast()
        if !heap.isEmpty {
            heap[0] = last
            siftDown(0)
        }
        return root
    }

    private mutating func siftDown(_ start: Int) {
        var parent = start
        while true {
            let left = 2 * parent + 1, right = left + 1
            var target = parent
            if left < heap.count && ahead(heap[left], heap[target]) { target = left }
            if right < heap.count && ahead(heap[right], heap[target]) { target = right }
            if target == parent { return }
            heap.swapAt(parent, target)
            parent = target
        }
    }

    @inline(__always)
    private func ahead(_ a: Entry, _ b: Entry) -> Bool {
        Ranking.ranksAhead(a.bound, a.row, b.bound, b.row)
    }
}
