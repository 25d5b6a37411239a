public import Foundation
import GRDB
public import LumenManifest
public import Logging

/// The control plane's desired state in SQLite: every apply, delete and rollback is one
/// transaction that writes one new revision; past versions are kept for history and rollback.
public final class ControlStore: Sendable {
    public let path: String
    let pool: DatabasePool
    let logger: Logger

    /// How long a writer waits for another process's transaction before reporting the store busy.
    public static let busyTimeout: TimeInterval = 10

    /// Opens (creating when needed) `control.db` in `home`.
    public init(home: String, logger: Logger = Logger(label: "lumen.store")) throws {
        self.logger = logger
        // The home is 0700 (an existing wider one is narrowed, logged) and control.db 0600.
        try PrivateFiles.prepareHome(home, logger: logger)
        path = (home as NSString).appendingPathComponent("control.db")
        var configuration = Configuration()
        configuration.busyMode = .timeout(Self.busyTimeout)
        configuration.label = "lumen.control"
        // Two processes creating or migrating the same new store at once would race on the schema;
        // an exclusive lock on a side file makes them take turns.
        let lock = try Self.lockHome(home)
        defer { flock(lock, LOCK_UN); close(lock) }
        try PrivateFiles.prepareDatabase(path, logger: logger)
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
            // Durable on return: an apply that printed its revision survives a power cut.
            try pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
            let migrator = ControlSchema.migrator
            if try pool.read({ db in try migrator.hasBeenSuperseded(db) }) { throw StoreError.newerSchema(path) }
            let before = try pool.read { db in try migrator.appliedIdentifiers(db) }
            try migrator.migrate(pool)
            let migrated = migrator.migrations.filter { !before.contains($0) }
            logger.debug("opened control store", metadata: ["path": "\(path)", "migrated": "\(migrated.joined(separator: ","))"])
        } catch let error as StoreError {
            throw error
        } catch {
            throw Self.translate(error, path: path)
        }
    }

    private static func lockHome(_ home: String) throws -> Int32 {
        let lockPath = (home as NSString).appendingPathComponent("control.lock")
        let descriptor = open(lockPath, O_CREAT | O_RDWR | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw StoreError.cannotCreateHome(home, String(cString: strerror(errno)))
        }
        while flock(descriptor, LOCK_EX) != 0 && errno == EINTR {}
        return descriptor
    }

    /// Opens the store in `home` only if it exists, so read commands never create one.
    public static func openExisting(home: String, logger: Logger = Logger(label: "lumen.store")) throws -> ControlStore? {
        let file = (home as NSString).appendingPathComponent("control.db")
        guard FileManager.default.fileExists(atPath: file) else { return nil }
        return try ControlStore(home: home, logger: logger)
    }

    static func translate(_ error: any Error, path: String) -> any Error {
        guard let error = error as? DatabaseError else { return error }
        switch error.resultCode {
        case .SQLITE_BUSY, .SQLITE_LOCKED: return StoreError.busy(path)
        case .SQLITE_NOTADB, .SQLITE_CORRUPT: return StoreError.notADatabase(path)
        default: return StoreError.io(path, error.message ?? error.description)
        }
    }

    private func read<T>(_ body: (Database) throws -> T) throws -> T {
        do { return try pool.read(body) } catch { throw Self.translate(error, path: path) }
    }

    // MARK: Reading

    /// The newest revision; `nil` when nothing was ever applied.
    public func latestRevision() throws -> Int? {
        try read { db in try Int.fetchOne(db, sql: "SELECT MAX(id) FROM revision") }
    }

    /// Live objects, optionally of one kind, sorted by kind and name.
    public func objects(kind: ManifestKind? = nil) throws -> [StoredObject] {
        try read { db in
            var sql = """
                SELECT o.kind, o.name, o.revision, o.body, r.createdAt FROM object o
                JOIN revision r ON r.id = o.revision WHERE o.supersededBy IS NULL
                """
            var arguments: StatementArguments = []
            if let kind {
                sql += " AND o.kind = ?"
                arguments = [kind.rawValue]
            }
            return try Row.fetchAll(db, sql: sql, arguments: arguments).map { row in
                try Self.storedObject(row)
            }.sorted { $0.id < $1.id }
        }
    }

    public func object(_ id: ManifestID) throws -> StoredObject? {
        try read { db in
            let row = try Row.fetchOne(db, sql: """
                SELECT o.kind, o.name, o.revision, o.body, r.createdAt FROM object o JOIN revision r ON r.id = o.revision
                WHERE o.kind = ? AND o.name = ? AND o.supersededBy IS NULL
                """, arguments: [id.kind.rawValue, id.name])
            return try row.map(Self.storedObject)
        }
    }

    /// Every revision, oldest first.
    public func revisions() throws -> [Revision] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM revision ORDER BY id").map(Self.revision(from:))
        }
    }

    /// Every version of one object, oldest first, including deletions.
    public func history(of id: ManifestID) throws -> [ObjectEvent] {
        try read { db in
            let rows = try Row.fetchAll(db, sql: """
                SELECT o.revision, o.supersededBy, o.body, r.createdAt, d.createdAt AS deletedAt FROM object o
                JOIN revision r ON r.id = o.revision LEFT JOIN revision d ON d.id = o.supersededBy
                WHERE o.kind = ? AND o.name = ? ORDER BY o.revision
                """, arguments: [id.kind.rawValue, id.name])
            var events: [ObjectEvent] = []
            for (index, row) in rows.enumerated() {
                let revision: Int = row["revision"]
                let previousSupersededBy: Int? = index > 0 ? rows[index - 1]["supersededBy"] : nil
                let kind: ChangeKind = previousSupersededBy == revision ? .configured : .created
                events.append(ObjectEvent(revision: revision, createdAt: row["createdAt"], kind: kind,
                                          manifest: try Manifest(canonicalJSON: row["body"])))
                let supersededBy: Int? = row["supersededBy"]
                let nextRevision: Int? = index + 1 < rows.count ? rows[index + 1]["revision"] : nil
                if let supersededBy, supersededBy != nextRevision {
                    events.append(ObjectEvent(revision: supersededBy, createdAt: row["deletedAt"], kind: .deleted, manifest: nil))
                }
            }
            return events
        }
    }

    /// `PRAGMA integrity_check`'s answer: `ok` for a sound file.
    public func integrityCheck() throws -> String {
        try read { db in try String.fetchAll(db, sql: "PRAGMA integrity_check").joined(separator: "\n") }
    }

    private static func storedObject(_ row: Row) throws -> StoredObject {
        guard let kind = ManifestKind(rawValue: row["kind"]) else {
            throw StoreError.io("control.db", "unknown kind \(String(describing: row["kind"])) in the object table")
        }
        return StoredObject(id: ManifestID(kind, row["name"]), body: row["body"], revision: row["revision"], updatedAt: row["createdAt"])
    }

    private static func revision(from row: Row) throws -> Revision {
        Revision(
            id: row["id"], createdAt: row["createdAt"],
            action: Revision.Action(rawValue: row["action"]) ?? .apply,
            source: row["source"], actor: row["actor"], rollbackOf: row["rollbackOf"],
            createdCount: row["createdCount"], changedCount: row["changedCount"], deletedCount: row["deletedCount"]
        )
    }
}
