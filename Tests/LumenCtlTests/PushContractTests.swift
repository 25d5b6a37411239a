import Foundation
import LumenTestSupport
import Testing

/// Every command that pushes a revision exits 1 when a node did not get it, names the node and
/// says to run lumenctl sync; the revision is stored all the same.
@Suite struct PushContractTests {
    static let gone = """
        apiVersion: lumen.ai/v1
        kind: Node
        metadata: {name: gone}
        spec: {address: "http://127.0.0.1:1", adminAddress: "http://127.0.0.1:1"}
        """

    /// Commands that push block their thread on the answers: not one of Swift concurrency's.
    static func run(_ arguments: [String], home: String) async -> CLIResult {
        await withCheckedContinuation { continuation in
            Thread {
                continuation.resume(returning: lumenctl(arguments, home: home, environment: ["LUMEN_CLUSTER_TOKEN": "t"]))
            }.start()
        }
    }

    static func expectMissed(_ result: CLIResult, revision: Int, _ what: String, nodes: String = "node/gone") {
        #expect(result.exitCode == 1, "\(what): \(result)")
        let plural = nodes.contains(",") ? "they are" : "it is"
        #expect(result.error.contains("revision \(revision) is stored in the control store, but \(nodes) did not get it; run lumenctl sync once \(plural) reachable"),
                "\(what): \(result)")
    }

    @Test func everyPushThatMissesANodeExitsOneAndNamesIt() async throws {
        try await withTemporaryDirectoryAsync { home in
            let file = try writeFile(home, "m.yaml", Fixtures.minimal + "---\n" + Self.gone)
            let dryRun = await Self.run(["apply", "-f", file, "--dry-run"], home: home)
            #expect(dryRun.exitCode == 0 && !dryRun.error.contains("node/gone"), "a dry run pushes nothing: \(dryRun)")

            let applied = await Self.run(["apply", "-f", file], home: home)
            Self.expectMissed(applied, revision: 1, "apply")
            #expect(applied.error.contains("node/gone: not updated: unreachable"), "\(applied)")
            #expect(applied.output.contains("Applied revision 1"), "\(applied)")
            #expect(await Self.run(["get", "route", "auto"], home: home).exitCode == 0, "the revision is stored")

            // Nothing new to apply, but the node is still behind: it is tried again.
            let unchanged = await Self.run(["apply", "-f", file], home: home)
            #expect(unchanged.output.contains("No changes"), "\(unchanged)")
            Self.expectMissed(unchanged, revision: 1, "an apply with no changes")

            let created = await Self.run(["keys", "create", "k"], home: home)
            Self.expectMissed(created, revision: 2, "keys create")
            #expect(created.output.contains("Created key k in revision 2") && created.output.contains("lmn_"), "the key is shown once all the same: \(created)")
            Self.expectMissed(await Self.run(["keys", "revoke", "k"], home: home), revision: 3, "keys revoke")
            // Revision 1's objects are today's (keys are not rolled back): nothing written, the node retried.
            let rollback = await Self.run(["rollback", "1"], home: home)
            #expect(rollback.output.contains("No changes"), "\(rollback)")
            Self.expectMissed(rollback, revision: 3, "rollback")
            Self.expectMissed(await Self.run(["delete", "route", "auto"], home: home), revision: 4, "delete")
            Self.expectMissed(await Self.run(["rollback", "3"], home: home), revision: 5, "rollback")
            Self.expectMissed(await Self.run(["sync"], home: home), revision: 5, "sync")

            // A Node without an admin address cannot be pushed to: named too.
            let unaddressed = try writeFile(home, "n.yaml", """
                apiVersion: lumen.ai/v1
                kind: Node
                metadata: {name: quiet}
                spec: {address: "http://127.0.0.1:2"}
                """)
            let both = await Self.run(["apply", "-f", unaddressed], home: home)
            Self.expectMissed(both, revision: 6, "apply", nodes: "node/gone, node/quiet")
            #expect(both.error.contains("node/quiet: has no adminAddress"), "\(both)")
        }
    }
}
