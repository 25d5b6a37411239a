import Foundation
import GRDB
public import LumenManifest

extension ControlStore {
    /// Creates a key and returns its secret (the only time it exists outside the client) and the
    /// revision that carries its hash to the agents.
    public func createKey(
        name: String, routes: [String]?, requestsPerMinute: Int?, tokensPerMinute: Int?, maxStreams: Int?,
        dailyBudget: USD? = nil, monthlyBudget: USD? = nil
    ) throws -> (secret: String, record: APIKeyRecord, revision: Int) {
        let secret = APIKeySecret.generate()
        let record = APIKeyRecord(
            name: name, hash: APIKeySecret.hash(secret), prefix: APIKeySecret.displayPrefix(secret), routes: routes,
            requestsPerMinute: requestsPerMinute, tokensPerMinute: tokensPerMinute, maxStreams: maxStreams,
            dailyBudget: dailyBudget, monthlyBudget: monthlyBudget, createdAt: Date().ISO8601Format())
        let revision = try writeTransaction { db -> Int in
            if try Bool.fetchOne(db, sql: "SELECT 1 FROM apiKey WHERE name = ?", arguments: [name]) == true {
                throw StoreError.conflict("a key named \(name) already exists; pick another name or revoke it first")
            }
            let revision = try Self.insertRevision(db, action: .keyCreate, source: "key/\(name)", counts: (1, 0, 0))
            let routesJSON = try routes.map { String(decoding: try JSONEncoder().encode($0), as: UTF8.self) }
            try db.execute(sql: """
                INSERT INTO apiKey (name, hash, prefix, routes, requestsPerMinute, tokensPerMinute, maxStreams, dailyBudget,
                                    monthlyBudget, createdAt, revision)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [name, record.hash, record.prefix, routesJSON, requestsPerMinute, tokensPerMinute,
                                 maxStreams, dailyBudget?.description, monthlyBudget?.description, record.createdAt, revision])
            return revision
        }
        return (secret, record, revision)
    }

    /// Revokes a key; agents refuse it once they have the new revision.
    public func revokeKey(name: String) throws -> Int {
        try writeTransaction { db -> Int in
            guard let revoked = try Row.fetchOne(db, sql: "SELECT revokedAt FROM apiKey WHERE name = ?", arguments: [name]) else {
                throw StoreError.notFound("key \(name)")
            }
            if (revoked["revokedAt"] as String?) != nil {
                throw StoreError.conflict("key \(name) is already revoked")
            }
            let revision = try Self.insertRevision(db, action: .keyRevoke, source: "key/\(name)", counts: (0, 0, 1))
            try db.execute(sql: "UPDATE apiKey SET revokedAt = ? WHERE name = ?", arguments: [Date().ISO8601Format(), name])
            return revision
        }
    }

    public func keys() throws -> [APIKeyRecord] {
        try readOnly { db in try Self.keys(db) }
    }

    static func keys(_ db: Database) throws -> [APIKeyRecord] {
        try Row.fetchAll(db, sql: "SELECT * FROM apiKey ORDER BY name").map { row in
            let routesJSON: String? = row["routes"]
            return APIKeyRecord(
                name: row["name"], hash: row["hash"], prefix: row["prefix"],
                routes: try routesJSON.map { try JSONDecoder().decode([String].self, from: Data($0.utf8)) },
                requestsPerMinute: row["requestsPerMinute"], tokensPerMinute: row["tokensPerMinute"],
                maxStreams: row["maxStreams"], dailyBudget: (row["dailyBudget"] as String?).flatMap(USD.init(parsing:)),
                monthlyBudget: (row["monthlyBudget"] as String?).flatMap(USD.init(parsing:)),
                createdAt: row["createdAt"], revokedAt: row["revokedAt"])
        }
    }

    /// Everything an agent needs, as of the newest revision; `nil` before the first one.
    public func snapshot() throws -> Snapshot? {
        try readOnly { db in
            guard let revision = try Row.fetchOne(db, sql: "SELECT id, createdAt FROM revision ORDER BY id DESC LIMIT 1") else {
                return nil
            }
            let bodies = try String.fetchAll(db, sql: "SELECT body FROM object WHERE supersededBy IS NULL ORDER BY kind, name")
            return Snapshot(
                revision: revision["id"], createdAt: revision["createdAt"],
                manifests: try bodies.map { try Manifest(canonicalJSON: $0) }, keys: try Self.keys(db))
        }
    }

    public func recordNodeSync(node: String, appliedRevision: Int?, agentVersion: String?, error: String?) throws {
        try writeTransaction { db in
            try db.execute(sql: """
                INSERT INTO nodeSync (node, appliedRevision, agentVersion, lastAttemptAt, lastError) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT(node) DO UPDATE SET
                    appliedRevision = COALESCE(excluded.appliedRevision, appliedRevision),
                    agentVersion = COALESCE(excluded.agentVersion, agentVersion),
                    lastAttemptAt = excluded.lastAttemptAt, lastError = excluded.lastError
                """, arguments: [node, appliedRevision, agentVersion, Date().ISO8601Format(), error])
        }
    }

    public func nodeSyncStatuses() throws -> [String: NodeSyncStatus] {
        try readOnly { db in
            var statuses: [String: NodeSyncStatus] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT * FROM nodeSync") {
                let status = NodeSyncStatus(node: row["node"], appliedRevision: row["appliedRevision"], agentVersion: row["agentVersion"],
                                            lastAttemptAt: row["lastAttemptAt"], lastError: row["lastError"])
                statuses[status.node] = status
            }
            return statuses
        }
    }

    func writeTransaction<T>(_ body: @escaping (Database) throws -> T) throws -> T {
        do {
            var result: T?
            try pool.writeWithoutTransaction { db in
                try db.inTransaction(.immediate) {
                    result = try body(db)
                    return .commit
                }
            }
            guard let result else { throw StoreError.io(path, "the transaction ended without a result") }
            return result
        } catch let error as StoreError {
            throw error
        } catch {
            throw Self.translate(error, path: path)
        }
    }

    func readOnly<T>(_ body: (Database) throws -> T) throws -> T {
        do { return try pool.read(body) } catch let error as StoreError { throw error } catch { throw Self.translate(error, path: path) }
    }
}
