public import LumenAPI
public import LumenManifest

/// An object as stored: its canonical JSON and the revision that last changed it.
/// The body is decoded only when asked, so listing many objects as JSON or YAML stays cheap.
public struct StoredObject: Sendable {
    public var id: ManifestID
    public var body: String
    public var revision: Int
    public var updatedAt: String

    public func manifest() throws -> Manifest {
        try Manifest(canonicalJSON: body)
    }

    /// The canonical tree, read straight from the stored JSON.
    public func canonicalValue() throws -> ManifestValue {
        try ManifestValue(json: body)
    }
}

/// One entry of `lumenctl history`.
public struct Revision: Sendable, Codable, Hashable {
    public enum Action: String, Sendable, Codable {
        case apply, delete, rollback
        case keyCreate = "key-create"
        case keyRevoke = "key-revoke"
    }

    public var id: Int
    public var createdAt: String
    public var action: Action
    public var source: String
    public var actor: String
    public var rollbackOf: Int?
    public var createdCount: Int
    public var changedCount: Int
    public var deletedCount: Int
}

/// What a change does to one object.
public enum ChangeKind: String, Sendable, Codable {
    case created, configured, unchanged, deleted
}

public struct Change: Sendable {
    public var id: ManifestID
    public var kind: ChangeKind
    public var before: Manifest?
    public var after: Manifest?

    public init(id: ManifestID, kind: ChangeKind, before: Manifest?, after: Manifest?) {
        self.id = id
        self.kind = kind
        self.before = before
        self.after = after
    }
}

/// The outcome of an apply, delete or rollback.
public struct ChangeResult: Sendable {
    public var changes: [Change]
    /// The new revision; `nil` when nothing changed or on a dry run.
    public var revision: Int?
    /// The revision the change was computed against; `nil` for an empty store.
    public var baseRevision: Int?
    public var dryRun: Bool

    public init(changes: [Change], revision: Int?, baseRevision: Int?, dryRun: Bool) {
        self.changes = changes
        self.revision = revision
        self.baseRevision = baseRevision
        self.dryRun = dryRun
    }

    public var hasChanges: Bool { changes.contains { $0.kind != .unchanged } }

    public func count(_ kind: ChangeKind) -> Int { changes.filter { $0.kind == kind }.count }
}

/// One version in an object's history.
public struct ObjectEvent: Sendable {
    public var revision: Int
    public var createdAt: String
    public var kind: ChangeKind
    /// The object as of this event; `nil` for a deletion.
    public var manifest: Manifest?
}
