import AsyncHTTPClient
import Foundation
import Glibc
import LumenAPI
import LumenTestSupport
import NIOHTTP1
import Testing

/// What a replica can reach of the agent's secrets: not its environment (provider keys, the
/// cluster token), not its /proc files; and what the admin API and `lumenctl logs` read by name.
@Suite(.serialized) struct WorkerSecretsTests {
    static let fakeKey = "sk-fake-provider-key-0123456789"

    /// Starts node `local` with `extra` in its environment. As root (which may read any /proc
    /// file) the agent runs as nobody, so its replicas are, like in production, of its own non-root user.
    func startAgent(_ cluster: NodeCluster, environment extra: [String: String], writable: [String]) throws {
        var environment = cluster.environment
        environment["LUMEN_LOG_LEVEL"] = "info"
        for (key, value) in extra { environment[key] = value }
        let home = "\(cluster.dir)/agent-local"
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        var executable = builtExecutable("lumen-agent")
        var arguments = ["run", "--home", home, "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0", "--node", "local", "--probe-interval", "0"]
        if geteuid() == 0 {
            for folder in [home] + writable { chown(folder, 65534, 65534) }
            arguments = ["--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all", executable] + arguments
            executable = "/usr/bin/setpriv"
        }
        let process = ManagedProcess(executable, arguments, environment: environment, log: "\(cluster.dir)/local.log")
        let ports = try process.start(waitingFor: #"http://127\.0\.0\.1:(\d+)/v1 \(admin http://127\.0\.0\.1:(\d+)\)"#)
        cluster.agents["local"] = (process, Int(ports[0]) ?? 0, Int(ports[1]) ?? 0)
    }

    func admin(_ cluster: NodeCluster, _ path: String) async throws -> (status: Int, headers: HTTPHeaders, body: String) {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(cluster.agents["local"]?.admin ?? 0)\(path)")
        request.headers.add(name: "authorization", value: "Bearer \(cluster.token)")
        return try await send(request)
    }

    /// A `process` replica dumps its environment and tries to read the agent's; the agent had a
    /// provider key and the cluster token in its own. Then the agent is SIGKILLed: the guard,
    /// which the agent's non-dumpable state must not hinder, still stops the worker.
    @Test func aReplicaSeesOnlyItsAllowListedEnvironmentAndNotTheAgents() async throws {
        try await withTemporaryDirectoryAsync { dir in
            let cluster = NodeCluster(dir: dir)
            defer { cluster.stop() }
            let out = dir + "/out"
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            try startAgent(cluster, environment: ["OPENAI_API_KEY": Self.fakeKey, "HF_TOKEN": "hf-passed-on-purpose", "UNRELATED_SETTING": "x"],
                           writable: [out])
            let agentPID = try #require(cluster.agents["local"]?.process.process.processIdentifier)
            let command = "env > \(out)/env.txt; if cat /proc/\(agentPID)/environ > \(out)/agent-environ.txt 2> \(out)/agent-environ.err; "
                + "then echo readable > \(out)/agent-environ.rc; else echo refused > \(out)/agent-environ.rc; fi; exec sleep 300 # {port}"
            try cluster.apply([cluster.node("local", slots: 1), """
                apiVersion: lumen.ai/v1
                kind: Model
                metadata: {name: dumper}
                spec:
                  deployment:
                    engine: process
                    command: "\(command)"
                    env: {ENGINE_MODE: fast}
                    passEnv: [HF_TOKEN, NOT_SET_ANYWHERE]
                    replicas: {min: 1, max: 1}
                  pricing: {inputPerMTok: 1, outputPerMTok: 2}
                  quality: 0.5
                  contextWindow: 8192
                """])
            try await eventually("the replica has run its probes") { FileManager.default.fileExists(atPath: out + "/agent-environ.rc") }
            try await Task.sleep(for: .milliseconds(200))

            let environment = try String(contentsOfFile: out + "/env.txt", encoding: .utf8)
            let names = Set(environment.split(separator: "\n").compactMap { $0.split(separator: "=", maxSplits: 1).first.map(String.init) })
            #expect(!environment.contains(Self.fakeKey), "the provider key reached the replica")
            #expect(!environment.contains(cluster.token), "the cluster token reached the replica")
            for absent in ["OPENAI_API_KEY", "LUMEN_CLUSTER_TOKEN", "LUMEN_HOME", "LUMEN_LOG_LEVEL", "UNRELATED_SETTING", "NO_COLOR", "NOT_SET_ANYWHERE"] {
                #expect(!names.contains(absent), "\(absent) reached the replica: \(names.sorted())")
            }
            for line in ["LUMEN_MODEL=dumper", "LUMEN_REPLICA=0", "LUMEN_SLOTS=0", "ENGINE_MODE=fast", "HF_TOKEN=hf-passed-on-purpose"] {
                #expect(environment.contains(line + "\n"), "\(line) is missing: \(names.sorted())")
            }
            #expect(names.contains("LUMEN_PORT") && names.contains("PATH"))

            // The agent is not dumpable: its /proc files are root's, and its environment stays its own.
            let rc = try String(contentsOfFile: out + "/agent-environ.rc", encoding: .utf8)
            let leaked = (try? String(contentsOfFile: out + "/agent-environ.txt", encoding: .utf8)) ?? ""
            #expect(rc == "refused\n", "the replica read /proc/\(agentPID)/environ")
            #expect(!leaked.contains(cluster.token) && !leaked.contains(Self.fakeKey))
            let log = try await admin(cluster, "/v1/logs?model=dumper&tail=50")
            #expect(log.status == 200 && log.body.contains("passEnv names NOT_SET_ANYWHERE, not set on this agent"), "\(log.status) \(log.body)")
            #expect(!log.body.contains(cluster.token))

            // The guard still stops the worker when the agent is SIGKILLed.
            let guardPID = try #require(try await cluster.replicas("local", model: "dumper").first?["pid"]?.intValue.map(Int32.init))
            let worker = try #require(workerPID(ofGuard: guardPID))
            kill(agentPID, SIGKILL)
            try await eventually("the guard and its worker are gone", within: 20) { processGone(guardPID) && processGone(worker) }
        }
    }

    /// Names that end up in a file path are object names, and the file must lie in the replicas folder.
    @Test func logsAreReadOnlyForObjectNamesInsideTheReplicasFolder() async throws {
        try await withTemporaryDirectoryAsync { dir in
            let cluster = NodeCluster(dir: dir)
            defer { cluster.stop() }
            try cluster.start("local")
            try cluster.apply([cluster.node("local", slots: 1)])
            for query in ["model=../../../../etc/passwd%00", "model=..%2F..%2Fetc%2Fpasswd", "model=a/b", "model=%2Fetc%2Fpasswd"] {
                let answer = try await admin(cluster, "/v1/logs?\(query)&replica=0")
                #expect(answer.status == 400, "\(query): \(answer.status) \(answer.body)")
                let error = try JSONValue(json: answer.body)["error"]
                #expect(error?["type"]?.stringValue == "invalid_request_error" && error?["param"]?.stringValue == "model")
                #expect(error?["message"]?.stringValue?.contains("is not a model name: a model name is a name of 1–63 characters") == true, "\(answer.body)")
                #expect(!answer.body.contains("root:"), "\(query) read /etc/passwd")
            }
            let negative = try await admin(cluster, "/v1/logs?model=ok&replica=-1")
            #expect(negative.status == 400 && negative.body.contains("\"param\":\"replica\""), "\(negative.body)")
            let notNumber = try await admin(cluster, "/v1/logs?model=ok&replica=..%2F1")
            #expect(notNumber.status == 400, "\(notNumber.body)")

            // A valid name whose log is a link out of the folder is not followed.
            let replicas = "\(dir)/agent-local/replicas/linked"
            try FileManager.default.createDirectory(atPath: replicas, withIntermediateDirectories: true)
            try FileManager.default.createSymbolicLink(atPath: replicas + "/0.log", withDestinationPath: "/etc/passwd")
            let linked = try await admin(cluster, "/v1/logs?model=linked")
            #expect(linked.status == 400 && !linked.body.contains("root:") && linked.body.contains("leads out of"), "\(linked.status) \(linked.body)")
            let followed = try await admin(cluster, "/v1/logs?model=linked&offset=0")
            #expect(followed.status == 400 && !followed.body.contains("root:"), "\(followed.body)")

            let cli = try cluster.lumenctl(["logs", "../../x"])
            #expect(cli.exitCode == 64, "\(cli.exitCode) \(cli.output) \(cli.error)")
            #expect(cli.error.contains(#""../../x" is not a model name: a model name is a name of 1–63 characters"#), "\(cli.error)")
        }
    }

    /// `apiKeyFile` resolves under the secrets folder (default: secrets in the agent's home); one
    /// outside, or a link leading out, is reported in the agent's warnings.
    @Test func keyFilesOutsideTheSecretsFolderAreWarnedAbout() async throws {
        try await withTemporaryDirectoryAsync { dir in
            let cluster = NodeCluster(dir: dir)
            defer { cluster.stop() }
            let secrets = "\(dir)/agent-local/secrets"
            try writeFile(secrets, "good.key", "sk-good\n")
            try writeFile(dir, "outside.key", "sk-outside\n")
            try FileManager.default.createSymbolicLink(atPath: secrets + "/linked.key", withDestinationPath: dir + "/outside.key")
            try cluster.start("local")
            var documents = [cluster.node("local", slots: 1)]
            for (name, file) in [("good", "good.key"), ("outside", dir + "/outside.key"), ("linked", "linked.key")] {
                documents.append("""
                    apiVersion: lumen.ai/v1
                    kind: Provider
                    metadata: {name: \(name)}
                    spec: {baseURL: "http://127.0.0.1:9/v1", apiKeyFile: "\(file)"}
                    ---
                    apiVersion: lumen.ai/v1
                    kind: Model
                    metadata: {name: m-\(name)}
                    spec:
                      provider: \(name)
                      pricing: {inputPerMTok: 1, outputPerMTok: 2}
                      quality: 0.5
                      contextWindow: 8192
                    """)
            }
            try cluster.apply(documents)
            let status = try await admin(cluster, "/v1/status")
            let warnings = (try JSONValue(json: status.body)["warnings"]?.arrayValue ?? []).compactMap(\.stringValue)
            #expect(!warnings.contains { $0.hasPrefix("provider good ") }, "\(warnings)")
            for refused in ["outside", "linked"] {
                #expect(warnings.contains { $0.hasPrefix("provider \(refused) ") && $0.contains("not under this agent's secrets folder \(secrets)") },
                        "\(warnings)")
            }
            #expect(!status.body.contains("sk-"))
        }
    }
}
