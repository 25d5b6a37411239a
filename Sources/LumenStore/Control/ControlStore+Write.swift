import Foundation
import GRDB
import Logging
public import LumenManifest

extension ControlStore {
    /// Creates or updates the given objects as one new revision. Objects not named are left alone.
    /// Unchanged input writes nothing and makes no revision.
    public func apply(_ documents: [LocatedManifest], source: String, dryRun: Bool = false) throws -> ChangeResult {
        let reported = Set(documents.map(\.manifest.id))
        return try commit(action: .apply, source: source, rollbackOf: nil, dryRun: dryRun, reported: reported,
                          check: { ManifestValidator.danglingReferences(in: $0, documents: documents) }) { _, state in
            for document in documents {
                state[document.manifest.id] = StateEntry(document.manifest)
            }
        }
    }

    /// Deletes the given objects as one new revision; fails if any does not exist or is still referenced.
    public func delete(_ ids: [ManifestID], source: String, dryRun: Bool = false) throws -> ChangeResult {
        try commit(action: .delete, source: source, rollbackOf: nil, dryRun: dryRun, reported: [],
                   check: { ManifestValidator.referencesToDeleted(Set(ids), in: $0) }) { _, state in
            let missing = ids.filter { state[$0] == nil }
            guard missing.isEmpty else {
                throw StoreError.notFound(missing.map(\.description).joined(separator: ", "))
            }
            for id in ids { state[id] = nil }
        }
    }

    /// Makes the state of a past revision current again, as a new revision.
    public func rollback(to target: Int, dryRun: Bool = false) throws -> ChangeResult {
        try commit(action: .rollback, source: "revision \(target)", rollbackOf: target, dryRun: dryRun, reported: [],
                   check: { ManifestValidator.danglingReferences(in: $0, documents: []) }) { db, state in
            let latest = try Int.fetchOne(db, sql: "SELECT MAX(id) FROM revision")
            guard let latest, (1...latest).contains(target) else { throw StoreError.unknownRevision(target, latest: latest) }
            state = try Self.state(db, at: target)
        }
    }

    /// A live object and its canonical JSON (kept so unchanged objects are never re-encoded).
    struct StateEntry {
        var manifest: Manifest
        var json: String

        init(_ manifest: Manifest) {
            self.manifest = manifest
            json = manifest.canonicalJSON
        }

        init(manifest: Manifest, json: String) {
            self.manifest = manifest
            self.json = json
        }
    }

    private static func state(_ db: Database, at revision: Int? = nil) throws -> [ManifestID: StateEntry] {
        let rows: [Row]
        if let revision {
            rows = try Row.fetchAll(db, sql: """
                SELECT kind, name, body FROM object
                WHERE revision <= ? AND (supersededBy IS NULL OR supersededBy > ?)
                """, arguments: [revision, revision])
        } else {
            rows = try Row.fetchAll(db, sql: "SELECT kind, name, body FROM object WHERE supersededBy IS NULL")
        }
        var state: [ManifestID: StateEntry] = [:]
        state.reserveCapacity(rows.count)
        for row in rows {
            let json: String = row["body"]
            let manifest = try Manifest(canonicalJSON: json)
            state[manifest.id] = StateEntry(manifest: manifest, json: json)
        }
        return state
    }

    /// Reads the live state, lets `plan` edit it, checks the result, and writes the difference as
    /// one revision inside one immediate transaction, so concurrent writers take turns and each
    /// validates against the state it replaces. A dry run only reads.
    private func commit(
        action: Revision.Action, source: String, rollbackOf: Int?, dryRun: Bool, reported: Set<ManifestID>,
        check: ([ManifestID: Manifest]) -> [Diagnostic],
        plan: (Database, inout [ManifestID: StateEntry]) throws -> Void
    ) throws -> ChangeResult {
        func changes(_ db: Database) throws -> (ChangeResult, [ManifestID: StateEntry]) {
            let before = try Self.state(db)
            var after = before
            try plan(db, &after)
            let problems = check(after.mapValues(\.manifest))
            guard problems.isEmpty else { throw ManifestErrors(problems) }
            var changes: [Change] = []
            for id in Set(before.keys).union(after.keys).sorted() {
                let old = before[id], new = after[id]
                let kind: ChangeKind
                switch (old, new) {
                case (nil, .some): kind = .created
                case (.some, nil): kind = .deleted
                case (let old?, let new?): kind = old.json == new.json ? .unchanged : .configured
                case (nil, nil): continue
                }
                if kind == .unchanged && !reported.contains(id) { continue }
                changes.append(Change(id: id, kind: kind, before: old?.manifest, after: new?.manifest))
            }
            let baseRevision = try Int.fetchOne(db, sql: "SELECT MAX(id) FROM revision")
            return (ChangeResult(changes: changes, revision: nil, baseRevision: baseRevision, dryRun: dryRun), after)
        }
        do {
            var result: ChangeResult
            if dryRun {
                result = try pool.read { db in try changes(db).0 }
            } else {
                var outcome: ChangeResult?
                try pool.writeWithoutTransaction { db in
                    try db.inTransaction(.immediate) {
                        var (planned, after) = try changes(db)
                        defer { outcome = planned }
                        guard planned.hasChanges else { return .rollback }
                        planned.revision = try write(db, action: action, source: source, rollbackOf: rollbackOf,
                                                     result: planned, state: after)
                        return .commit
                    }
                }
                guard let outcome else { throw StoreError.io(path, "the transaction ended without a result") }
                result = outcome
            }
            logger.info("\(action.rawValue) \(result.revision.map { "wrote revision \($0)" } ?? "wrote nothing")", metadata: [
                "source": "\(source)", "dryRun": "\(dryRun)", "created": "\(result.count(.created))",
                "configured": "\(result.count(.configured))", "deleted": "\(result.count(.deleted))",
            ])
            return result
        } catch let error as StoreError {
            throw error
        } catch let error as ManifestErrors {
            throw error
        } catch {
            throw Self.translate(error, path: path)
        }
    }

    private func write(
        _ db: Database, action: Revision.Action, source: String, rollbackOf: Int?,
        result: ChangeResult, state: [ManifestID: StateEntry]
    ) throws -> Int {
        let changes = result.changes
        let counts = (created: result.count(.created), changed: result.count(.configured), deleted: result.count(.deleted))
        let revision = try Self.insertRevision(db, action: action, source: source, rollbackOf: rollbackOf,
                                               counts: (counts.created, counts.changed, counts.deleted))
        let supersede = try db.makeStatement(sql: """
            UPDATE object SET supersededBy = ? WHERE kind = ? AND name = ? AND supersededBy IS NULL
            """)
        let insert = try db.makeStatement(sql: "INSERT INTO object (kind, name, revision, body) VALUES (?, ?, ?, ?)")
        for change in changes where change.kind != .unchanged {
            if change.kind != .created {
                try supersede.execute(arguments: [revision, change.id.kind.rawValue, change.id.name])
            }
            if let entry = state[change.id] {
                try insert.execute(arguments: [change.id.kind.rawValue, change.id.name, revision, entry.json])
            }
        }
        return revision
    }

    /// Adds a revision row and returns its number.
    static func insertRevision(
        _ db: Database, action: Revision.Action, source: String, rollbackOf: Int? = nil,
        counts: (created: Int, changed: Int, deleted: Int)
    ) throws -> Int {
        try db.execute(sql: """
            INSERT INTO revision (createdAt, action, source, actor, rollbackOf, createdCount, changedCount, deletedCount)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [Date().ISO8601Format(), action.rawValue, source, actor, rollbackOf,
                             counts.created, counts.changed, counts.deleted])
        return Int(db.lastInsertedRowID)
    }

    /// Who made a revision: `user@host`.
    static var actor: String {
        let environment = ProcessInfo.processInfo.environment
        let user = environment["USER"] ?? environment["LOGNAME"] ?? ProcessInfo.processInfo.userName
        return "\(user)@\(ProcessInfo.processInfo.hostName)"
    }
}
