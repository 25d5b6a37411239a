import GRDB

/// Versioned migrations of `control.db`. Never edit a shipped migration; add a new one.
enum ControlSchema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-revisions-and-objects") { db in
            try db.execute(sql: """
                CREATE TABLE revision (
                    id INTEGER PRIMARY KEY,
                    createdAt TEXT NOT NULL,
                    action TEXT NOT NULL,
                    source TEXT NOT NULL,
                    actor TEXT NOT NULL,
                    rollbackOf INTEGER REFERENCES revision(id),
                    createdCount INTEGER NOT NULL,
                    changedCount INTEGER NOT NULL,
                    deletedCount INTEGER NOT NULL
                );
                -- One row per version of an object; the live version has supersededBy NULL.
                CREATE TABLE object (
                    kind TEXT NOT NULL,
                    name TEXT NOT NULL,
                    revision INTEGER NOT NULL REFERENCES revision(id),
                    supersededBy INTEGER REFERENCES revision(id),
                    body TEXT NOT NULL,
                    PRIMARY KEY (kind, name, revision)
                );
                CREATE UNIQUE INDEX object_live ON object(kind, name) WHERE supersededBy IS NULL;
                CREATE INDEX object_superseded ON object(supersededBy);
                """)
        }
        migrator.registerMigration("v2-keys-and-node-sync") { db in
            try db.execute(sql: """
                CREATE TABLE apiKey (
                    name TEXT PRIMARY KEY,
                    hash TEXT NOT NULL UNIQUE,
                    prefix TEXT NOT NULL,
                    routes TEXT,
                    requestsPerMinute INTEGER,
                    tokensPerMinute INTEGER,
                    maxStreams INTEGER,
                    createdAt TEXT NOT NULL,
                    revokedAt TEXT,
                    revision INTEGER NOT NULL REFERENCES revision(id)
                );
                CREATE TABLE nodeSync (
                    node TEXT PRIMARY KEY,
                    appliedRevision INTEGER,
                    agentVersion TEXT,
                    lastAttemptAt TEXT NOT NULL,
                    lastError TEXT
                );
                """)
        }
        migrator.registerMigration("v3-key-budgets") { db in
            try db.execute(sql: "ALTER TABLE apiKey ADD COLUMN dailyBudget TEXT; ALTER TABLE apiKey ADD COLUMN monthlyBudget TEXT")
        }
        return migrator
    }
}
