import Foundation
import LumenManifest
import LumenStore
import LumenTestSupport
import Testing

@Suite struct ControlStoreTests {
    func documents(_ yaml: String) throws -> [LocatedManifest] {
        try ManifestParser.parse(yaml, file: "test.yaml")
    }

    @Test func applyWritesOneRevisionAndUnchangedInputWritesNone() throws {
        try withTemporaryDirectory { home in
            let store = try ControlStore(home: home)
            #expect(try store.latestRevision() == nil)
            let first = try store.apply(try documents(Fixtures.minimal), source: "a.yaml")
            #expect(first.revision == 1)
            #expect(first.changes.map(\.kind) == [.created, .created, .created])
            let again = try store.apply(try documents(Fixtures.minimal), source: "a.yaml")
            #expect(again.revision == nil)
            #expect(again.changes.map(\.kind) == [.unchanged, .unchanged, .unchanged])
            #expect(try store.revisions().count == 1)

            let changed = Fixtures.minimal.replacingOccurrences(of: "qualityBar: 0.3", with: "qualityBar: 0.6")
            let second = try store.apply(try documents(changed), source: "b.yaml")
            #expect(second.revision == 2)
            #expect(second.count(.configured) == 1 && second.count(.unchanged) == 2)
            let revisions = try store.revisions()
            #expect(revisions.map(\.source) == ["a.yaml", "b.yaml"])
            #expect(revisions.map(\.changedCount) == [0, 1])
        }
    }

    @Test func historyRecordsCreateChangeDeleteAndRecreate() throws {
        try withTemporaryDirectory { home in
            let store = try ControlStore(home: home)
            _ = try store.apply(try documents(Fixtures.minimal), source: "a")
            let changed = Fixtures.minimal.replacingOccurrences(of: "qualityBar: 0.3", with: "qualityBar: 0.6")
            _ = try store.apply(try documents(changed), source: "b")
            _ = try store.delete([ManifestID(.route, "auto")], source: "route/auto")
            _ = try store.apply(try documents(Fixtures.minimal), source: "c")
            let events = try store.history(of: ManifestID(.route, "auto"))
            #expect(events.map(\.revision) == [1, 2, 3, 4])
            #expect(events.map(\.kind) == [.created, .configured, .deleted, .created])
            #expect(events[2].manifest == nil)
        }
    }

    @Test func rollbackRestoresAPastStateAsANewRevision() throws {
        try withTemporaryDirectory { home in
            let store = try ControlStore(home: home)
            let parts = Fixtures.minimal.components(separatedBy: "---\n")
            _ = try store.apply(try documents(parts[0]), source: "provider")
            _ = try store.apply(try documents(Fixtures.minimal), source: "all")
            let changed = Fixtures.minimal.replacingOccurrences(of: "qualityBar: 0.3", with: "qualityBar: 0.9")
            _ = try store.apply(try documents(changed), source: "bar")

            let result = try store.rollback(to: 1)
            #expect(result.revision == 4)
            #expect(result.changes.map(\.kind) == [.deleted, .deleted])
            #expect(try store.objects().map(\.id.description) == ["provider/openai"])
            let back = try store.rollback(to: 2)
            #expect(back.revision == 5)
            let route = try #require(try store.object(ManifestID(.route, "auto")))
            guard case .route(let spec) = try route.manifest().spec else { Issue.record("not a route"); return }
            #expect(spec.qualityBar == 0.3)
            #expect(try store.revisions().last?.rollbackOf == 2)
            #expect(try store.rollback(to: 5).revision == nil)
            #expect(throws: StoreError.self) { try store.rollback(to: 9) }
        }
    }

    @Test func deletingWhatOthersReferToIsRefusedAndChangesNothing() throws {
        try withTemporaryDirectory { home in
            let store = try ControlStore(home: home)
            _ = try store.apply(try documents(Fixtures.minimal), source: "a")
            do {
                _ = try store.delete([ManifestID(.model, "gpt-4o-mini")], source: "model/gpt-4o-mini")
                Issue.record("delete should fail")
            } catch let error as ManifestErrors {
                #expect(error.diagnostics.map(\.description) == [
                    "cannot delete model/gpt-4o-mini: route/auto refers to it (spec.candidates[0]); delete route/auto in the same step or change it first",
                ])
            }
            #expect(throws: StoreError.self) { try store.delete([ManifestID(.node, "ghost")], source: "x") }
            #expect(try store.latestRevision() == 1)
            #expect(try store.objects().count == 3)
            let both = try store.delete([ManifestID(.model, "gpt-4o-mini"), ManifestID(.route, "auto")], source: "two")
            #expect(both.revision == 2 && both.count(.deleted) == 2)
        }
    }

    @Test func dryRunWritesNothing() throws {
        try withTemporaryDirectory { home in
            let store = try ControlStore(home: home)
            let result = try store.apply(try documents(Fixtures.minimal), source: "a", dryRun: true)
            #expect(result.count(.created) == 3 && result.revision == nil)
            #expect(try store.latestRevision() == nil)
            #expect(try store.objects().isEmpty)
        }
    }

    @Test func emptyFileIsMigratedAndStateSurvivesReopening() throws {
        try withTemporaryDirectory { home in
            #expect(FileManager.default.createFile(atPath: home + "/control.db", contents: Data()))
            do {
                let store = try ControlStore(home: home)
                _ = try store.apply(try documents(Fixtures.minimal), source: "a")
            }
            let reopened = try ControlStore(home: home)
            #expect(try reopened.objects().count == 3)
            #expect(try reopened.integrityCheck() == "ok")
        }
    }

    @Test func aFileThatIsNotADatabaseIsReported() throws {
        try withTemporaryDirectory { home in
            try writeFile(home, "control.db", String(repeating: "not sqlite ", count: 200))
            #expect {
                _ = try ControlStore(home: home)
            } throws: { error in
                String(describing: error).contains("is not a Lumen control store")
            }
        }
    }

    @Test func aStoreFromANewerLumenctlIsRefused() throws {
        try withTemporaryDirectory { home in
            _ = try ControlStore(home: home)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
            process.arguments = [home + "/control.db", "INSERT INTO grdb_migrations VALUES ('v99-future')"]
            try process.run()
            process.waitUntilExit()
            #expect {
                _ = try ControlStore(home: home)
            } throws: { error in
                String(describing: error).contains("was written by a newer lumenctl")
            }
        }
    }

    @Test func readCommandsNeverCreateAStore() throws {
        try withTemporaryDirectory { home in
            let opened = try ControlStore.openExisting(home: home + "/absent")
            #expect(opened == nil)
            #expect(!FileManager.default.fileExists(atPath: home + "/absent"))
        }
    }
}
