public import LumenManifest

/// The desired state pushed to every agent: all manifests and key hashes at one revision.
public struct Snapshot: Codable, Sendable {
    public var revision: Int
    public var createdAt: String
    public var manifests: [Manifest]
    public var keys: [APIKeyRecord]

    public init(revision: Int, createdAt: String, manifests: [Manifest], keys: [APIKeyRecord]) {
        self.revision = revision
        self.createdAt = createdAt
        self.manifests = manifests
        self.keys = keys
    }
}

/// The last push of a snapshot to one node, as `lumenctl get nodes` shows it.
public struct NodeSyncStatus: Sendable, Codable {
    public var node: String
    public var appliedRevision: Int?
    public var agentVersion: String?
    public var lastAttemptAt: String
    public var lastError: String?
}
