public import Foundation
import GRDB
public import Logging

/// The agent's own SQLite file (`agent.db` in its home): the last applied snapshot, so a restart
/// serves without the control plane, and the usage ledger.
public final class AgentStore: Sendable {
    public let path: String
    private let pool: DatabasePool

    /// Opens (creating when needed) `agent.db` in `home`; the home is made 0700 and the file 0600.
    public init(home: String, logger: Logger = Logger(label: "lumen.store")) throws {
        try PrivateFiles.prepareHome(home, logger: logger)
        path = (home as NSString).appendingPathComponent("agent.db")
        try PrivateFiles.prepareDatabase(path, logger: logger)
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
            // The ledger is billing data: durable on commit.
            try pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
            var migrator = DatabaseMigrator()
            migrator.registerMigration("v1-snapshot-and-usage") { db in
                try db.execute(sql: """
                    CREATE TABLE snapshot (
                        id INTEGER PRIMARY KEY CHECK (id = 1),
                        revision INTEGER NOT NULL,
                        body BLOB NOT NULL,
                        appliedAt TEXT NOT NULL
                    );
                    CREATE TABLE usage (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        requestId TEXT NOT NULL,
                        at TEXT NOT NULL,
                        keyName TEXT,
                        route TEXT,
                        model TEXT,
                        upstream TEXT,
                        promptTokens INTEGER NOT NULL,
                        completionTokens INTEGER NOT NULL,
                        cachedTokens INTEGER NOT NULL,
                        cost TEXT NOT NULL,
                        ttftMs REAL,
                        durationMs REAL NOT NULL,
                        status INTEGER NOT NULL,
                        outcome TEXT NOT NULL,
                        failovers INTEGER NOT NULL
                    );
                    CREATE INDEX usage_at ON usage(at);
                    """)
            }
            migrator.registerMigration("v2-shadow-pairs") { db in
                // The pair as JSON: zero-retention routes' pairs hold measures only, never text.
                try db.execute(sql: """
                    CREATE TABLE shadow_pair (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        test TEXT NOT NULL,
                        at TEXT NOT NULL,
                        body TEXT NOT NULL
                    );
                    CREATE INDEX shadow_pair_test ON shadow_pair(test, id);
                    """)
            }
            if try pool.read({ db in try migrator.hasBeenSuperseded(db) }) { throw StoreError.newerSchema(path) }
            try migrator.migrate(pool)
        } catch let error as StoreError {
            throw error
        } catch {
            throw ControlStore.translate(error, path: path)
        }
    }

    /// The persisted snapshot's revision and its JSON, if any.
    public func loadSnapshot() throws -> (revision: Int, body: Data)? {
        try run { try self.pool.read { db in
            try Row.fetchOne(db, sql: "SELECT revision, body FROM snapshot WHERE id = 1").map { ($0["revision"], $0["body"]) }
        } }
    }

    /// Stores a snapshot if it is newer than the stored one; returns whether it was stored.
    public func saveSnapshot(revision: Int, body: Data) throws -> Bool {
        try run { try self.pool.write { db in
            if let current = try Int.fetchOne(db, sql: "SELECT revision FROM snapshot WHERE id = 1"), current >= revision {
                return false
            }
            try db.execute(sql: """
                INSERT INTO snapshot (id, revision, body, appliedAt) VALUES (1, ?, ?, ?)
                ON CONFLICT(id) DO UPDATE SET revision = excluded.revision, body = excluded.body, appliedAt = excluded.appliedAt
                """, arguments: [revision, body, Date().ISO8601Format()])
            return true
        } }
    }

    /// Appends ledger rows in one transaction.
    public func appendUsage(_ records: [UsageRecord]) throws {
        guard !records.isEmpty else { return }
        try run { try self.pool.write { db in
            let insert = try db.makeStatement(sql: """
                INSERT INTO usage (requestId, at, keyName, route, model, upstream, promptTokens, completionTokens, cachedTokens,
                                   cost, ttftMs, durationMs, status, outcome, failovers)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            for record in records {
                try insert.execute(arguments: [
                    record.requestID, record.at, record.keyName, record.route, record.model, record.upstream,
                    record.promptTokens, record.completionTokens, record.cachedTokens, record.cost,
                    record.ttftMilliseconds, record.durationMilliseconds, record.status, record.outcome.rawValue,
                    record.failovers,
                ])
            }
        } }
    }

    /// Ledger rows, oldest first: those that started in [`since`, `until`) (ISO 8601 times), at most `limit`.
    public func usage(since: String? = nil, until: String? = nil, limit: Int = 100_000) throws -> [UsageRecord] {
        try run { try self.pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM usage WHERE at >= ? AND at < ? ORDER BY id LIMIT ?",
                             arguments: [since ?? "", until ?? "~", limit]).map { row in
                UsageRecord(
                    requestID: row["requestId"], at: row["at"], keyName: row["keyName"], route: row["route"], model: row["model"],
                    upstream: row["upstream"], promptTokens: row["promptTokens"], completionTokens: row["completionTokens"],
                    cachedTokens: row["cachedTokens"], cost: row["cost"], ttftMilliseconds: row["ttftMs"],
                    durationMilliseconds: row["durationMs"], status: row["status"],
                    outcome: UsageRecord.Outcome(rawValue: row["outcome"]) ?? .failed, failovers: row["failovers"])
            }
        } }
    }

    /// Cost of every ledger row written at or after `at` (an ISO 8601 time), for budgets after a restart.
    public func spend(since at: String) throws -> [(at: String, keyName: String?, route: String?, cost: String)] {
        try run { try self.pool.read { db in
            try Row.fetchAll(db, sql: "SELECT at, keyName, route, cost FROM usage WHERE at >= ? ORDER BY id", arguments: [at]).map { row in
                (row["at"], row["keyName"], row["route"], row["cost"])
            }
        } }
    }

    /// Appends shadow pairs in one transaction.
    public func appendShadowPairs(_ pairs: [ShadowPair]) throws {
        guard !pairs.isEmpty else { return }
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        try run { try self.pool.write { db in
            let insert = try db.makeStatement(sql: "INSERT INTO shadow_pair (test, at, body) VALUES (?, ?, ?)")
            for pair in pairs {
                try insert.execute(arguments: [pair.test, pair.at, String(decoding: try encoder.encode(pair), as: UTF8.self)])
            }
        } }
    }

    /// A shadow test's pairs, oldest first, at most `limit`.
    public func shadowPairs(test: String, limit: Int = 100_000) throws -> [ShadowPair] {
        let decoder = JSONDecoder()
        return try run { try self.pool.read { db in
            try String.fetchAll(db, sql: "SELECT body FROM shadow_pair WHERE test = ? ORDER BY id LIMIT ?", arguments: [test, limit])
                .map { try decoder.decode(ShadowPair.self, from: Data($0.utf8)) }
        } }
    }

    /// Pairs recorded so far per shadow test, so `maxRequests` holds across restarts.
    public func shadowPairCounts() throws -> [String: Int] {
        try run { try self.pool.read { db in
            var counts: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT test, COUNT(*) AS n FROM shadow_pair GROUP BY test") {
                counts[row["test"]] = row["n"]
            }
            return counts
        } }
    }

    private func run<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let error as StoreError { throw error } catch { throw ControlStore.translate(error, path: path) }
    }
}
