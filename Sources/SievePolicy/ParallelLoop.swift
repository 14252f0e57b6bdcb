import Dispatch

/// Runs loop bodies on several threads, each thread with its own `Workspace`.
///
/// Thread k takes items k, k + threads, k + 2·threads, … in order. Results must not depend on
/// which thread ran an item — every body in this target derives its randomness from the item,
/// never from the thread — so any thread count gives the same results.
enum ParallelLoop {
    /// With a new workspace per thread.
    static func run(items: Int, threads: Int, config: TransformerConfig, body: (Int, Workspace) -> Void) {
        let lanes = max(1, min(threads, items))
        run(items: items, workspaces: (0..<lanes).map { _ in Workspace(config: config) }, body: body)
    }

    /// With the given workspaces, one thread per workspace (callers that loop keep theirs).
    static func run(items: Int, workspaces: [Workspace], body: (Int, Workspace) -> Void) {
        let lanes = max(1, min(workspaces.count, items))
        if lanes == 1 {
            for item in 0..<items { body(item, workspaces[0]) }
            return
        }
        DispatchQueue.concurrentPerform(iterations: lanes) { lane in
            for item in stride(from: lane, to: items, by: lanes) { body(item, workspaces[lane]) }
        }
    }
}
