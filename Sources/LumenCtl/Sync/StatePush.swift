import LumenManifest
import LumenStore

/// Pushes the newest snapshot to every Node and reports each node on stderr.
enum StatePush {
    /// A revision stored in the control store that some nodes did not get. Exit code 1: the
    /// change is made, but the fleet does not serve it everywhere yet.
    struct Incomplete: Error, CustomStringConvertible {
        var revision: Int
        var missed: [String]

        var description: String {
            let names = missed.map { "node/\($0)" }.joined(separator: ", ")
            return "revision \(revision) is stored in the control store, but \(names) did not get it; "
                + "run lumenctl sync once \(missed.count == 1 ? "it is" : "they are") reachable "
                + "(an agent that comes back also fetches the newest revision from its peers)"
        }
    }

    /// Pushes the newest revision to every node; throws `Incomplete` naming the nodes it did not reach.
    static func pushLatest(_ store: ControlStore, home: HomeOptions) throws {
        let missed = try push(store, home: home, onlyBehind: false)
        if let revision = missed.revision, !missed.nodes.isEmpty { throw Incomplete(revision: revision, missed: missed.nodes) }
    }

    /// For a command that wrote no new revision: pushes the newest one again to the nodes an
    /// earlier push missed (as the control store remembers them), so they are retried without a
    /// separate lumenctl sync. Throws `Incomplete` when some still miss it.
    static func retryMissed(_ store: ControlStore, home: HomeOptions) throws {
        let missed = try push(store, home: home, onlyBehind: true)
        if let revision = missed.revision, !missed.nodes.isEmpty { throw Incomplete(revision: revision, missed: missed.nodes) }
    }

    /// Pushes and records each node's outcome; returns the revision and the nodes that did not get it.
    private static func push(_ store: ControlStore, home: HomeOptions, onlyBehind: Bool) throws -> (revision: Int?, nodes: [String]) {
        guard let snapshot = try store.snapshot() else { return (nil, []) }
        let records = try store.nodeSyncStatuses()
        // Behind: never pushed, last push failed, or at an older revision.
        let behind = { (name: String) -> Bool in
            guard let record = records[name] else { return true }
            return record.lastError != nil || (record.appliedRevision ?? 0) < snapshot.revision
        }
        var nodes = addressedNodes(snapshot)
        if onlyBehind { nodes = nodes.filter { behind($0.name) } }
        let console = Console.current
        var missed: [String] = []
        // A Node without an admin address cannot be pushed to; said at each push, not at each retry.
        for manifest in snapshot.manifests where !onlyBehind {
            guard case .node(let node) = manifest.spec, node.adminAddress == nil else { continue }
            console.writeError("node/\(manifest.name): has no adminAddress; set it so lumenctl can push state to the agent\n")
            missed.append(manifest.name)
        }
        guard !nodes.isEmpty else { return (snapshot.revision, missed.sorted()) }
        let client = AdminClient(token: AdminClient.token(environment: console.environment, home: home.path))
        for result in try client.push(snapshot, to: nodes) {
            let wasBehind = records[result.node].map { $0.lastError != nil } ?? false
            try store.recordNodeSync(node: result.node, appliedRevision: result.appliedRevision, agentVersion: result.version, error: result.error)
            if let error = result.error {
                missed.append(result.node)
                console.writeError("node/\(result.node): not updated: \(error); run lumenctl sync once it is reachable\n")
            } else {
                let caughtUp = wasBehind ? " (it had missed an earlier push)" : ""
                console.writeError("node/\(result.node): at revision \(result.appliedRevision ?? snapshot.revision)\(caughtUp)\n")
            }
        }
        return (snapshot.revision, missed.sorted())
    }

    /// The nodes lumenctl can reach: those with an admin address.
    static func addressedNodes(_ snapshot: Snapshot) -> [(name: String, admin: String)] {
        snapshot.manifests.compactMap { manifest in
            guard case .node(let node) = manifest.spec, let admin = node.adminAddress else { return nil }
            return (manifest.name, admin)
        }
    }
}
