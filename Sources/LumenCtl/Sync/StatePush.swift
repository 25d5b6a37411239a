import LumenManifest
import LumenStore

/// Pushes the newest snapshot to every Node and reports each node on stderr.
enum StatePush {
    /// Returns whether every node has the revision.
    @discardableResult
    static func pushLatest(_ store: ControlStore, home: HomeOptions) throws -> Bool {
        guard let snapshot = try store.snapshot() else { return true }
        let nodes = addressedNodes(snapshot)
        let console = Console.current
        let unaddressed = snapshot.manifests.filter {
            if case .node(let node) = $0.spec { return node.adminAddress == nil }
            return false
        }
        for manifest in unaddressed {
            console.writeError("node/\(manifest.name): has no adminAddress; set it so lumenctl can push state to the agent\n")
        }
        guard !nodes.isEmpty else { return unaddressed.isEmpty }
        let client = AdminClient(token: AdminClient.token(environment: console.environment, home: home.path))
        var allApplied = unaddressed.isEmpty
        for result in try client.push(snapshot, to: nodes) {
            try store.recordNodeSync(node: result.node, appliedRevision: result.appliedRevision, agentVersion: result.version, error: result.error)
            if let error = result.error {
                allApplied = false
                console.writeError("node/\(result.node): not updated: \(error); run lumenctl sync once it is reachable\n")
            } else {
                console.writeError("node/\(result.node): at revision \(result.appliedRevision ?? snapshot.revision)\n")
            }
        }
        return allApplied
    }

    /// The nodes lumenctl can reach: those with an admin address.
    static func addressedNodes(_ snapshot: Snapshot) -> [(name: String, admin: String)] {
        snapshot.manifests.compactMap { manifest in
            guard case .node(let node) = manifest.spec, let admin = node.adminAddress else { return nil }
            return (manifest.name, admin)
        }
    }
}
