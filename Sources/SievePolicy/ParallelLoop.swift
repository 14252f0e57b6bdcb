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
        withoutActuallyEscaping(body) { body in
            let shared = LaneShared(body: body, workspaces: workspaces)
            DispatchQueue.concurrentPerform(iterations: lanes) { lane in
                for item in stride(from: lane, to: items, by: lanes) { shared.body(item, shared.workspaces[lane]) }
            }
        }
    }
}

/// What the lanes of one `ParallelLoop.run` share. `@unchecked Sendable` holds because each
/// lane uses only its own workspace (workspaces[lane]), the bodies in this target write only
/// to the parts of their outputs that belong to their item, and `concurrentPerform` returns
/// only after every lane finished, before the non-escaping body's scope ends.
private struct LaneShared: @unchecked Sendable {
    let body: (Int, Workspace) -> Void
    let workspaces: [Workspace]
}
