/// A node agent: where it serves, where its admin API listens, and how many slots it has.
public struct NodeSpec: Codable, Sendable, Hashable {
    public var address: String
    public var adminAddress: String?
    public var labels: SortedMap<String>?
    /// GPUs or CPU workers that replicas are placed on.
    public var slots: Int

    static func read(_ object: inout ObjectReader) -> NodeSpec? {
        let address = object.required("address", expected: "the agent's public URL, e.g. http://10.0.0.5:8080")?.httpURL()
        let adminAddress = object.optional("adminAddress") { $0.httpURL() }
        let labels = object.optional("labels") { $0.map(key: LabelRule.isValidKey, keyRule: LabelRule.keyRule) { $0.labelValue() } }
        let slots = object.value("slots", default: 1) { $0.int(in: 0...4096) }
        guard let address else { return nil }
        return NodeSpec(address: address, adminAddress: adminAddress, labels: labels.map(SortedMap.init), slots: slots)
    }
}
