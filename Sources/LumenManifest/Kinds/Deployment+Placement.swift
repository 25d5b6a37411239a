extension Deployment {
    /// Whether replicas of this deployment run on `node`: an engine deployment whose `nodes`
    /// selector the node's labels match (no selector: every node), and one replica fits its slots.
    public func runs(on node: NodeSpec) -> Bool {
        guard engine != nil, (slots ?? 1) <= node.slots else { return false }
        let labels = node.labels?.values ?? [:]
        return (nodes?.values ?? [:]).allSatisfy { labels[$0.key] == $0.value }
    }
}
