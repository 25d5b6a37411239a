import LumenManifest
import LumenStore

/// What applying documents would change, without writing anything — not even a new, empty store.
enum ChangePreview {
    static func apply(_ documents: [LocatedManifest], home: HomeOptions, source: String) throws -> ChangeResult {
        if let store = try home.existingStore() {
            return try store.apply(documents, source: source, dryRun: true)
        }
        // No store yet: everything is new, and references must resolve within the input.
        let state = Dictionary(documents.map { ($0.manifest.id, $0.manifest) }, uniquingKeysWith: { $1 })
        let dangling = ManifestValidator.danglingReferences(in: state, documents: documents)
        guard dangling.isEmpty else { throw ManifestErrors(dangling) }
        return ChangeResult(
            changes: documents.map { Change(id: $0.manifest.id, kind: .created, before: nil, after: $0.manifest) }
                .sorted { $0.id < $1.id },
            revision: nil, baseRevision: nil, dryRun: true)
    }
}

/// A failure of a command itself (not of the store or the input), with what to do next.
struct CommandFailure: Error, CustomStringConvertible {
    var description: String

    init(_ description: String) {
        self.description = description
    }

    static func notFound(_ id: ManifestID) -> CommandFailure {
        CommandFailure("\(id) not found; list what exists with: lumenctl get \(id.kind.plural)")
    }

    static func emptyStore(_ home: String) -> CommandFailure {
        CommandFailure("nothing has been applied in \(home) yet; apply manifests first with lumenctl apply -f PATH")
    }
}
