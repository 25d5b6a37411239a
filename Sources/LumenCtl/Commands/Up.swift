import ArgumentParser
import Foundation
import LumenAPI
import LumenManifest
import LumenStore

struct Up: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a complete single-node Lumen in the foreground: an agent, its replicas and the quickstart manifests.",
        discussion: "The agent is the manifests' Node and starts, scales and stops the replicas of every Model with a deployment.engine itself (lumenctl get replicas shows them). Stop with Ctrl-C; everything started is stopped with it."
    )

    @Option(name: [.customShort("f"), .long], help: ArgumentHelp("The manifests to run.", valueName: "path"), completion: .directory)
    var filename = "manifests/quickstart"
    @Option(help: ArgumentHelp("The Lumen home to use (default: a new temporary folder).", valueName: "dir"), completion: .directory)
    var home: String?
    @Option(help: ArgumentHelp("Public API address (default: the Node manifest's address, else 127.0.0.1:8080).", valueName: "host:port"))
    var listen: String?
    @Option(help: ArgumentHelp("Admin API address (default: the Node manifest's adminAddress, else 127.0.0.1:7070).", valueName: "host:port"))
    var adminListen: String?

    func run() throws {
        let console = Console.current
        let home = try self.home ?? Self.temporaryHome()
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        var homeOptions = HomeOptions()
        homeOptions.home = home
        var documents = try ManifestLoader(recursive: true, readStandardInput: console.standardInput).load(paths: [filename])
        let processes = ChildProcesses()
        defer { processes.stopAll() }
        processes.stopOnSignals()

        // The agent listens where the Node manifest says, so lumenctl can push to it.
        let node = documents.first { $0.manifest.kind == .node }
        guard case .node(var nodeSpec)? = node?.manifest.spec, let nodeName = node?.manifest.name, let nodeIndex = documents.firstIndex(where: { $0.manifest.kind == .node }) else {
            throw CommandFailure("\(filename) has no Node manifest; add one with address and adminAddress for the local agent")
        }
        let requestedPublic = listen ?? Self.hostPort(nodeSpec.address) ?? "127.0.0.1:8080"
        let requestedAdmin = adminListen ?? nodeSpec.adminAddress.flatMap(Self.hostPort) ?? "127.0.0.1:7070"
        let token = try Self.clusterToken(home: home)
        let bound = try processes.start(Self.sibling("lumen-agent"),
                                        ["run", "--home", (home as NSString).appendingPathComponent("agent"), "--listen", requestedPublic,
                                         "--admin-listen", requestedAdmin, "--node", nodeName],
                                        environment: ["LUMEN_CLUSTER_TOKEN": token],
                                        waitingFor: #"listening on http://([^/\s]+)/v1 \(admin http://([^)\s]+)\)"#)
        // The addresses the agent actually bound (port 0 picks free ones) go into the Node manifest.
        let publicAddress = bound[0], adminAddress = bound[1]
        nodeSpec.address = "http://\(publicAddress)"
        nodeSpec.adminAddress = "http://\(adminAddress)"
        documents[nodeIndex].manifest.spec = .node(nodeSpec)
        console.write("Started lumen-agent on http://\(publicAddress)/v1 (admin http://\(adminAddress))\n")

        let store = try ControlStore(home: home)
        let result = try store.apply(documents, source: ManifestLoader.identity(of: filename))
        ChangeReport.print(result, verb: "Applied")
        let keyName = "quickstart-\(Int(Date().timeIntervalSince1970))"
        let key = try store.createKey(name: keyName, routes: nil, requestsPerMinute: nil, tokensPerMinute: nil, maxStreams: nil)
        do {
            try StatePush.pushLatest(store, home: homeOptions)
        } catch is StatePush.Incomplete {
            throw CommandFailure("the agent did not take the manifests (see above); nothing is being served, so lumenctl up stops")
        }

        let engineModels = documents.filter { document in
            if case .model(let model) = document.manifest.spec { return model.deployment?.engine != nil }
            return false
        }.count
        if engineModels > 0 { Self.waitForReplicas(deployments: engineModels, home: homeOptions, console: console) }

        let route = documents.first { $0.manifest.kind == .route }?.manifest.name ?? "auto"
        console.write("""

            Lumen is running. Home: \(home)
              endpoint  http://\(publicAddress)/v1
              API key   \(key.secret)

            Try it:
              curl http://\(publicAddress)/v1/chat/completions -H "Authorization: Bearer \(key.secret)" \\
                -H "Content-Type: application/json" \\
                -d '{"model": "lumen/\(route)", "messages": [{"role": "user", "content": "Hello"}], "stream": true}'

              python3 -c 'from openai import OpenAI
              client = OpenAI(base_url="http://\(publicAddress)/v1", api_key="\(key.secret)")
              print(client.chat.completions.create(model="lumen/\(route)", messages=[{"role": "user", "content": "Hello"}]).choices[0].message.content)'

            Operate it from another shell with: LUMEN_HOME=\(home) lumenctl get all  (or get replicas, top)
            Press Ctrl-C to stop.

            """)
        processes.waitForSignalOrExit()
        console.write("Stopping…\n")
    }

    /// Waits until every deployment the agent wants running has a ready replica, so the first
    /// request after the endpoint is shown waits on no cold start.
    static func waitForReplicas(deployments expected: Int, home: HomeOptions, console: Console, timeout: TimeInterval = 60) {
        console.write("Starting replicas…\n")
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let answer = try? ReplicaView.gather(home: home, console: console).first?.answer {
                let deployments = answer["deployments"]?.arrayValue ?? []
                let replicas = answer["replicas"]?.arrayValue ?? []
                let starting = deployments.filter { deployment in
                    (deployment["target"]?.intValue ?? 0) > 0 && !replicas.contains {
                        $0["model"]?.stringValue == deployment["model"]?.stringValue && $0["state"]?.stringValue == "ready"
                    }
                }
                if deployments.count >= expected && starting.isEmpty {
                    for replica in replicas {
                        console.write("Replica \(replica["name"]?.stringValue ?? "?") is \(replica["state"]?.stringValue ?? "?") on port \(replica["port"]?.intValue ?? 0)\n")
                    }
                    return
                }
            }
            Thread.sleep(forTimeInterval: 0.2)
        }
        console.writeError("Some replicas are not ready after \(Int(timeout)) s; lumenctl get replicas and lumenctl logs MODEL show why.\n")
    }

    static func temporaryHome() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("lumen-up-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// The cluster token in the home's `cluster-token` file, created when missing.
    static func clusterToken(home: String) throws -> String {
        let file = (home as NSString).appendingPathComponent("cluster-token")
        if let existing = try? String(contentsOfFile: file, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines), !existing.isEmpty {
            // The agent refuses a weak token; say so here, where the file is known.
            if let weakness = PeerToken.weakness(ofClusterToken: existing) {
                throw CommandFailure("\(file): \(weakness) > \(file), or delete the file and lumenctl up makes one")
            }
            return existing
        }
        let token = APIKeySecret.generate().replacingOccurrences(of: APIKeySecret.scheme, with: "lct_")
        guard FileManager.default.createFile(atPath: file, contents: Data((token + "\n").utf8), attributes: [.posixPermissions: 0o600]) else {
            throw CommandFailure("cannot write the cluster token to \(file); check that the home is writable")
        }
        return token
    }

    static func hostPort(_ url: String) -> String? {
        guard let components = URLComponents(string: url), let host = components.host else { return nil }
        return "\(host):\(components.port ?? 80)"
    }

    /// An executable installed next to lumenctl.
    static func sibling(_ name: String) -> String {
        let me = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return ((me as NSString).deletingLastPathComponent as NSString).appendingPathComponent(name)
    }
}
