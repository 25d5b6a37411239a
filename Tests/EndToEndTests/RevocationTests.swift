import AsyncHTTPClient
import Foundation
import LumenAPI
import LumenStore
import LumenTestSupport
import NIOCore
import NIOHTTP1
import Testing

/// Two agents of one cluster that keep their ports across a restart, and one control home.
final class PairCluster: @unchecked Sendable {
    let dir: String
    let token = "pair-cluster-token-0123456789abcdef"
    var agents: [String: ManagedProcess] = [:]
    var ports: [String: (public: Int, admin: Int)] = [:]
    var simulator: ManagedProcess?

    init(dir: String) {
        self.dir = dir
    }

    var environment: [String: String] { ["LUMEN_HOME": dir + "/home", "LUMEN_CLUSTER_TOKEN": token, "NO_COLOR": "1"] }

    /// Starts node `name` (on its earlier ports when it ran before), asking its peers every second.
    func start(_ name: String) throws {
        let earlier = ports[name] ?? (0, 0)
        var environment = environment
        environment["LUMEN_LOG_LEVEL"] = "info"
        let process = ManagedProcess(builtExecutable("lumen-agent"),
                                     ["run", "--home", "\(dir)/agent-\(name)", "--listen", "127.0.0.1:\(earlier.public)",
                                      "--admin-listen", "127.0.0.1:\(earlier.admin)", "--node", name, "--probe-interval", "0",
                                      "--pull-interval", "1"],
                                     environment: environment, log: "\(dir)/\(name).log")
        let bound = try process.start(waitingFor: #"http://127\.0\.0\.1:(\d+)/v1 \(admin http://127\.0\.0\.1:(\d+)\)"#)
        ports[name] = (Int(bound[0]) ?? 0, Int(bound[1]) ?? 0)
        agents[name] = process
    }

    func manifests(endpoint: String) -> String {
        let nodes = ports.keys.sorted().map { name in
            """
            apiVersion: lumen.ai/v1
            kind: Node
            metadata: {name: \(name)}
            spec: {address: "http://127.0.0.1:\(ports[name]?.public ?? 0)", adminAddress: "http://127.0.0.1:\(ports[name]?.admin ?? 0)", slots: 0}
            """
        }
        return (nodes + [LiveCluster.model("sim-a", [endpoint]), """
            apiVersion: lumen.ai/v1
            kind: Route
            metadata: {name: auto}
            spec: {candidates: [sim-a], strategy: pinned}
            """]).joined(separator: "\n---\n")
    }

    func lumenctl(_ arguments: [String]) throws -> CLIResult {
        let child = try LumenctlProcess(arguments, home: dir + "/home", scratch: dir, environment: environment)
        try child.start()
        return child.wait()
    }

    func status(_ name: String, key: String) async throws -> Int {
        try await send(chatRequest(port: ports[name]?.public ?? 0, key: key, body: chatBody)).status
    }

    func stop() {
        for agent in agents.values { agent.stop() }
        simulator?.stop()
    }
}

@Suite(.serialized) struct RevocationTests {
    /// `keys revoke` with an agent down says so (exit 1, naming it); the agent, restarted with no
    /// lumenctl sync, fetches the newest revision from its peer and refuses the revoked key.
    @Test func aNodeThatWasDownWhenAKeyWasRevokedRefusesItOnceBack() async throws {
        try await withTemporaryDirectoryAsync { dir in
            let cluster = PairCluster(dir: dir)
            defer { cluster.stop() }
            let simulator = ManagedProcess(builtExecutable("lumen-engine"), ["serve", "--simulate", "--port", "0", "--ttft", "1ms", "--itl", "0ms"])
            let port = try simulator.start(waitingFor: #"http://127\.0\.0\.1:(\d+)/v1"#)[0]
            cluster.simulator = simulator
            try cluster.start("a")
            try cluster.start("b")
            let file = try writeFile(dir, "lumen.yaml", cluster.manifests(endpoint: "http://127.0.0.1:\(port)/v1"))
            let applied = try cluster.lumenctl(["apply", "-f", file])
            #expect(applied.exitCode == 0 && applied.error.contains("node/a: at revision 1") && applied.error.contains("node/b: at revision 1"), "\(applied)")
            let created = try cluster.lumenctl(["keys", "create", "leaver", "-o", "json"])
            let key = try JSONValue(json: created.output)["key"]?.stringValue ?? ""
            #expect(try await cluster.status("a", key: key) == 200)
            #expect(try await cluster.status("b", key: key) == 200)

            cluster.agents["b"]?.stop()
            let revoked = try cluster.lumenctl(["keys", "revoke", "leaver"])
            #expect(revoked.exitCode == 1, "\(revoked)")
            #expect(revoked.output.contains("Revoked key leaver in revision 3"), "\(revoked)")
            #expect(revoked.error.contains("node/b: not updated: unreachable") && revoked.error.contains("node/a: at revision 3"), "\(revoked)")
            #expect(revoked.error.contains("revision 3 is stored in the control store, but node/b did not get it; run lumenctl sync once it is reachable"),
                    "\(revoked)")
            #expect(try await cluster.status("a", key: key) == 401)

            // Back, with its persisted revision 2, and no lumenctl sync: it asks a, and catches up.
            try cluster.start("b")
            try await eventually("b refuses the revoked key") { try await cluster.status("b", key: key) == 401 }
            let log = try String(contentsOfFile: dir + "/b.log", encoding: .utf8)
            #expect(log.contains("applied snapshot") && log.contains("node/a"), "b's log says where revision 3 came from")

            // lumenctl remembers that b missed a push: an apply with nothing new retries only b.
            let again = try cluster.lumenctl(["apply", "-f", file])
            #expect(again.exitCode == 0 && again.output.contains("No changes"), "\(again)")
            #expect(again.error.contains("node/b: at revision 3 (it had missed an earlier push)") && !again.error.contains("node/a"), "\(again)")
            let quiet = try cluster.lumenctl(["apply", "-f", file])
            #expect(quiet.exitCode == 0 && quiet.error.isEmpty, "\(quiet)")
        }
    }

    /// The admin API hands over the snapshot it serves, and only with the cluster token.
    @Test func theAdminAPIHandsOverItsSnapshotWithTheClusterTokenOnly() async throws {
        try await withTemporaryDirectoryAsync { dir in
            let cluster = PairCluster(dir: dir)
            defer { cluster.stop() }
            try cluster.start("a")
            let url = "http://127.0.0.1:\(cluster.ports["a"]?.admin ?? 0)/v1/snapshot"
            var request = HTTPClientRequest(url: url)
            request.headers.add(name: "authorization", value: "Bearer \(cluster.token)")
            #expect(try await send(request).status == 404)
            let file = try writeFile(dir, "lumen.yaml", cluster.manifests(endpoint: "http://127.0.0.1:9/v1"))
            #expect(try cluster.lumenctl(["apply", "-f", file]).exitCode == 0)
            let answer = try await send(request)
            #expect(answer.status == 200)
            let snapshot = try JSONDecoder().decode(Snapshot.self, from: Data(answer.body.utf8))
            #expect(snapshot.revision == 1 && snapshot.manifests.count == 3)
            #expect(try await send(HTTPClientRequest(url: url)).status == 401)
        }
    }

    /// A Node whose adminAddress is not an agent of the cluster: the puller asks it with its pull
    /// token (never the cluster token) and applies only a snapshot signed with the cluster token.
    @Test func aPullAppliesOnlyASignedSnapshotAndNeverSendsTheClusterToken() async throws {
        try await withTemporaryDirectoryAsync { dir in
            let cluster = PairCluster(dir: dir)
            defer { cluster.stop() }
            let served = dir + "/posing"
            try FileManager.default.createDirectory(atPath: served, withIntermediateDirectories: true)
            let script = try writeFile(dir, "posing.py", """
                import http.server, os, sys
                folder = sys.argv[1]
                class Posing(http.server.BaseHTTPRequestHandler):
                    def do_GET(self):
                        with open(os.path.join(folder, "asked.log"), "a") as log:
                            log.write("%s %s %s\\n" % (self.path, self.headers.get("authorization"), self.headers.get("x-lumen-peer-node")))
                        name = {"/v1/status": "status.json", "/v1/snapshot": "snapshot.json"}.get(self.path)
                        if name is None or not os.path.exists(os.path.join(folder, name)):
                            self.send_response(404); self.end_headers(); return
                        body = open(os.path.join(folder, name), "rb").read()
                        self.send_response(200)
                        self.send_header("content-length", str(len(body)))
                        signature = os.path.join(folder, "signature")
                        if name == "snapshot.json" and os.path.exists(signature):
                            self.send_header("x-lumen-snapshot-signature", open(signature).read())
                        self.end_headers()
                        self.wfile.write(body)
                    def log_message(self, *args): pass
                server = http.server.HTTPServer(("127.0.0.1", 0), Posing)
                print("listening on %d" % server.server_address[1], flush=True)
                server.serve_forever()
                """)
            let posing = ManagedProcess("/usr/bin/env", ["python3", script, served])
            let posingPort = Int(try posing.start(waitingFor: #"listening on (\d+)"#)[0]) ?? 0
            defer { posing.stop() }
            try cluster.start("b")
            cluster.ports["a"] = (9, posingPort)
            let file = try writeFile(dir, "lumen.yaml", cluster.manifests(endpoint: "http://127.0.0.1:9/v1"))
            _ = try cluster.lumenctl(["apply", "-f", file])

            // It offers revision 99 of b's own snapshot, unsigned, then wrongly signed.
            var ask = HTTPClientRequest(url: "http://127.0.0.1:\(cluster.ports["b"]?.admin ?? 0)/v1/snapshot")
            ask.headers.add(name: "authorization", value: "Bearer \(cluster.token)")
            var snapshot = try JSONDecoder().decode(Snapshot.self, from: Data(try await send(ask).body.utf8))
            #expect(snapshot.revision == 1)
            snapshot.revision = 99
            let offered = try JSONEncoder().encode(snapshot)
            try offered.write(to: URL(fileURLWithPath: served + "/snapshot.json"))
            try Data(#"{"revision": 99}"#.utf8).write(to: URL(fileURLWithPath: served + "/status.json"))
            try await eventually("b refuses the unsigned snapshot") {
                (try? String(contentsOfFile: dir + "/b.log", encoding: .utf8))?.contains("refused a peer's snapshot") == true
            }
            try Data(String(repeating: "0", count: 64).utf8).write(to: URL(fileURLWithPath: served + "/signature"))
            let refusals = { (try? String(contentsOfFile: dir + "/b.log", encoding: .utf8))?.components(separatedBy: "refused a peer's snapshot").count ?? 0 }
            let before = refusals()
            try await eventually("b refuses the wrongly signed snapshot") { refusals() > before }
            var status = HTTPClientRequest(url: "http://127.0.0.1:\(cluster.ports["b"]?.admin ?? 0)/v1/status")
            status.headers.add(name: "authorization", value: "Bearer \(cluster.token)")
            #expect(try JSONValue(json: try await send(status).body)["revision"]?.intValue == 1)

            let asked = try String(contentsOfFile: served + "/asked.log", encoding: .utf8)
            let key = PeerToken.Key(clusterToken: cluster.token)
            #expect(!asked.contains(cluster.token), "\(asked)")
            #expect(asked.contains("/v1/snapshot Bearer \(key.pullToken(for: "b")) b"), "\(asked)")

            // Signed with the cluster token, it is a snapshot of this cluster: applied.
            try Data(key.signature(ofSnapshot: offered).utf8).write(to: URL(fileURLWithPath: served + "/signature"))
            try await eventually("b applies the signed snapshot") {
                (try? JSONValue(json: try await send(status).body)["revision"]?.intValue) == 99
            }
        }
    }

    /// A guessable cluster token is refused at start, with how to make a good one.
    @Test func anAgentRefusesAWeakClusterToken() throws {
        try withTemporaryDirectory { dir in
            for weak in ["e2e-cluster-token", String(repeating: "a", count: 40)] {
                let process = Process()
                process.executableURL = URL(fileURLWithPath: builtExecutable("lumen-agent"))
                process.arguments = ["run", "--home", dir + "/agent", "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0"]
                process.environment = ["LUMEN_CLUSTER_TOKEN": weak, "PATH": "/usr/bin:/bin"]
                let errors = Pipe()
                process.standardError = errors
                process.standardOutput = FileHandle.nullDevice
                try process.run()
                let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                process.waitUntilExit()
                #expect(process.terminationStatus != 0, "\(message)")
                #expect(message.contains("Refusing to start") && message.contains("openssl rand -hex 32"), "\(message)")
            }
        }
    }
}
