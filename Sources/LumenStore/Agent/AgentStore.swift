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
            migrator.registerMigration("v3-usage-origin-journal-shadow-progress") { db in
                // Who a row bills (client, peer, shadow); the last journal record in the table, so a
                // replayed journal adds each row once; pairs recorded per test, which pruning does not lower.
                try db.execute(sql: """
                    ALTER TABLE usage ADD COLUMN origin TEXT NOT NULL DEFAULT 'client';
                    CREATE TABLE ledger_journal (id INTEGER PRIMARY KEY CHECK (id = 1), seq INTEGER NOT NULL);
                    CREATE TABLE shadow_progress (test TEXT PRIMARY KEY, recorded INTEGER NOT NULL);
                    INSERT INTO shadow_progress (test, recorded) SELECT test, COUNT(*) FROM shadow_pair GROUP BY test;
                    CREATE INDEX shadow_pair_at ON shadow_pair(at);
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

    /// Appends ledger rows in one transaction; with `journalSeq`, records that the journal's records up
    /// to it are now in the table, in the same transaction.
    public func appendUsage(_ records: [UsageRecord], journalSeq: Int? = nil) throws {
        guard !records.isEmpty || journalSeq != nil else { return }
        try run { try self.pool.write { db in
            let insert = try db.makeStatement(sql: """
                INSERT INTO usage (requestId, at, keyName, route, model, upstream, promptTokens, completionTokens, cachedTokens,
                                   cost, ttftMs, durationMs, status, outcome, failovers, origin)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            for record in records {
                try insert.execute(arguments: [
                    record.requestID, record.at, record.keyName, record.route, record.model, record.upstream,
                    record.promptTokens, record.completionTokens, record.cachedTokens, record.cost,
                    record.ttftMilliseconds, record.durationMilliseconds, record.status, record.outcome.rawValue,
                    record.failovers, record.origin.rawValue,
                ])
            }
            if let journalSeq {
                try db.execute(sql: """
                    INSERT INTO ledger_journal (id, seq) VALUES (1, ?)
                    ON CONFLICT(id) DO UPDATE SET seq = max(seq, excluded.seq)
                    """, arguments: [journalSeq])
            }
        } }
    }

    /// The last journal record the usage table holds (0 when none).
    public func journalSeq() throws -> Int {
        try run { try self.pool.read { db in try Int.fetchOne(db, sql: "SELECT seq FROM ledger_journal WHERE id = 1") ?? 0 } }
    }

    /// Ledger rows, oldest first: those that started in [`since`, `until`) (ISO 8601 times), at most `limit`,
    /// and the last journal record they include.
    public func usageWithJournalSeq(since: String? = nil, until: String? = nil, limit: Int = 100_000) throws -> (rows: [UsageRecord], journalSeq: Int) {
        try run { try self.pool.read { db in
            let rows = try Row.fetchAll(db, sql: "SELECT * FROM usage WHERE at >= ? AND at < ? ORDER BY id LIMIT ?",
                                        arguments: [since ?? "", until ?? "~", limit]).map { row in
                UsageRecord(
                    requestID: row["requestId"], at: row["at"], keyName: row["keyName"], route: row["route"], model: row["model"],
                    upstream: row["upstream"], promptTokens: row["promptTokens"], completionTokens: row["completionTokens"],
                    cachedTokens: row["cachedTokens"], cost: row["cost"], ttftMilliseconds: row["ttftMs"],
                    durationMilliseconds: row["durationMs"], status: row["status"],
                    outcome: UsageRecord.Outcome(rawValue: row["outcome"]) ?? .failed, failovers: row["failovers"],
                    origin: UsageRecord.Origin(rawValue: row["origin"]) ?? .client)
            }
            return (rows, try Int.fetchOne(db, sql: "SELECT seq FROM ledger_journal WHERE id = 1") ?? 0)
        } }
    }

    /// Ledger rows, oldest first: those that started in [`since`, `until`) (ISO 8601 times), at most `limit`.
    public func usage(since: String? = nil, until: String? = nil, limit: Int = 100_000) throws -> [UsageRecord] {
        try usageWithJournalSeq(since: since, until: until, limit: limit).rows
    }

    /// Cost of every client row written at or after `at` (an ISO 8601 time), for budgets after a restart.
    /// Peer rows are billed by the agent that passed them on, and shadow tests spend from no budget.
    public func spend(since at: String) throws -> [(at: String, keyName: String?, route: String?, cost: String)] {
        try run { try self.pool.read { db in
            try Row.fetchAll(db, sql: "SELECT at, keyName, route, cost FROM usage WHERE at >= ? AND origin = 'client' ORDER BY id",
                             arguments: [at]).map { row in
                (row["at"], row["keyName"], row["route"], row["cost"])
            }
        } }
    }

    /// How long shadow pairs are kept, and how many per test at most: they hold prompts and answers.
    public struct ShadowRetention: Sendable {
        public var maxAge: TimeInterval
        public var maxPairsPerTest: Int

        public init(maxAge: TimeInterval = 30 * 86_400, maxPairsPerTest: Int = 10_000) {
            self.maxAge = maxAge
            self.maxPairsPerTest = maxPairsPerTest
        }
    }

    /// Appends shadow pairs in one transaction, then prunes pairs past `retention`: older than its
    /// age, or beyond its count for their test (the oldest go first).
    public func appendShadowPairs(_ pairs: [ShadowPair], retention: ShadowRetention = ShadowRetention(), now: Date = Date()) throws {
        guard !pairs.isEmpty else { return }
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        try run { try self.pool.write { db in
            let insert = try db.makeStatement(sql: "INSERT INTO shadow_pair (test, at, body) VALUES (?, ?, ?)")
            let count = try db.makeStatement(sql: """
                INSERT INTO shadow_progress (test, recorded) VALUES (?, 1)
                ON CONFLICT(test) DO UPDATE SET recorded = recorded + 1
                """)
            for pair in pairs {
                try insert.execute(arguments: [pair.test, pair.at, String(decoding: try encoder.encode(pair), as: UTF8.self)])
                try count.execute(arguments: [pair.test])
            }
            try db.execute(sql: "DELETE FROM shadow_pair WHERE at < ?", arguments: [now.addingTimeInterval(-retention.maxAge).ISO8601Format()])
            for test in Set(pairs.map(\.test)) {
                try db.execute(sql: """
                    DELETE FROM shadow_pair WHERE test = ? AND id <= (
                        SELECT id FROM shadow_pair WHERE test = ? ORDER BY id DESC LIMIT 1 OFFSET ?)
                    """, arguments: [test, test, retention.maxPairsPerTest])
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

    /// Pairs recorded so far per shadow test (pruned ones too), so `maxRequests` holds across restarts.
    public func shadowPairCounts() throws -> [String: Int] {
        try run { try self.pool.read { db in
            var counts: [String: Int] = [:]
            // Recorded, not kept: pruning must not let a test run past its maxRequests.
            for row in try Row.fetchAll(db, sql: "SELECT test, recorded FROM shadow_progress") {
                counts[row["test"]] = row["recorded"]
            }
            return counts
        } }
    }

    private func run<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let error as StoreError { throw error } catch { throw ControlStore.translate(error, path: path) }
    }
}
