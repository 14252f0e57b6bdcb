import Dispatch

/// Runs loop bodies on several threads, each thread with its own `Workspace`.
///
/// Thread k takes items k, k + threads, k + 2·threads, … in order. Results must not depend on
/// which thread ran an item — every body in this target derives its randomness from the item,
/// never from the thread — so any thread count gives the same results.
enum ParallelLoop {
    static func run(items: Int, threads: Int, config: TransformerConfig, body: (Int, Workspace) -> Void) {
        let lanes = max(1, min(threads, items))
        if lanes == 1 {
            let workspace = Workspace(config: config)
            for item in 0..<items { body(item, workspace) }
            return
        }
        DispatchQueue.concurrentPerform(iterations: lanes) { lane in
            let workspace = Workspace(config: config)
            for item in stride(from: lane, to: items, by: lanes) { body(item, workspace) }
        }
    }
}
