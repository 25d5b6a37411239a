public import ArgumentParser
import Foundation
import LumenAPI
import LumenGateway
import LumenStore
import Logging

/// `lumen-agent`: the daemon on every node.
public struct AgentCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "lumen-agent",
        abstract: "Lumen's node agent: the OpenAI-compatible gateway and the admin API that lumenctl pushes state to.",
        version: Agent.version,
        subcommands: [Run.self]
    )

    public init() {}

    /// Parses the arguments and runs the command on the async path.
    public static func runFromCommandLine() async {
        do {
            var command = try parseAsRoot()
            // Dispatch by type: calling run() on an existential picks the synchronous requirement.
            if let run = command as? Run {
                try await run.start()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}

struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve the public API and the admin API until SIGTERM or SIGINT.",
        discussion: "The agent serves the last snapshot it was given (kept in agent.db in its home) until lumenctl pushes a newer one. The cluster token comes from LUMEN_CLUSTER_TOKEN or --cluster-token-file."
    )

    @Option(help: ArgumentHelp("The agent's home folder, holding agent.db (default: $LUMEN_HOME, else ~/.lumen).", valueName: "dir"))
    var home: String?
    @Option(help: ArgumentHelp("Public API address.", valueName: "host:port"))
    var listen = "127.0.0.1:8080"
    @Option(help: ArgumentHelp("Admin API address (keep it private).", valueName: "host:port"))
    var adminListen = "127.0.0.1:7070"
    @Option(help: ArgumentHelp("A file holding the cluster token (else LUMEN_CLUSTER_TOKEN).", valueName: "file"))
    var clusterTokenFile: String?
    @Option(help: "How long open streams may take to finish on shutdown, in seconds.")
    var drainTimeout = 30
    @Option(help: "Largest request body in bytes; larger ones get 413.")
    var maxRequestBytes = 4 * 1024 * 1024
    @Option(help: "Seconds between health probes of each upstream (0 turns probing off).")
    var probeInterval = 5.0
    @Option(help: "Seconds a probe may wait for its answer before it counts as failed.")
    var probeTimeout = 10.0
    @Option(help: ArgumentHelp("How a request picks among a model's replicas: prefix-affinity (requests sharing a prompt prefix go to the replica likely to hold it in cache, within a load bound) or round-robin.", valueName: "choice"))
    var replicaChoice = "prefix-affinity"
    @Option(help: ArgumentHelp("The Node manifest this agent is (default: the one whose address is --listen, else the only one).", valueName: "name"))
    var node: String?
    @Option(help: ArgumentHelp("The lumen-engine executable for engine: sim and builtin replicas (default: next to lumen-agent).", valueName: "path"))
    var engine: String?
    @Option(help: "Seconds a request may wait for room on a model's replicas when its route sets no slo.ttftP95.")
    var queueTimeout = 30.0
    @Option(help: "Seconds the need for fewer replicas must last before the autoscaler removes any.")
    var scaleDownWindow = 30.0
    @Option(help: "Seconds a replica may take to become ready before it counts as a failed start.")
    var replicaStartTimeout = 600.0
    @Option(help: ArgumentHelp("The only folder a Provider's apiKeyFile is read from; a file outside it (symlinks followed) is refused (default: secrets in the home).", valueName: "dir"))
    var secretsDir: String?
    @Option(help: "Seconds a client may take to send a request's whole head (from connecting, or from its first byte on a kept-alive connection); then 408 and the connection is closed. Both ports.")
    var headerTimeout = 10.0
    @Option(help: "Seconds a client may take to send a request's whole body after its head; then the connection is closed. Both ports.")
    var bodyTimeout = 60.0
    @Option(help: "Seconds a response may make no progress because its client stopped reading; then the connection is closed and the request ends as cut off. Both ports.")
    var writeTimeout = 60.0
    @Option(help: "Seconds a kept-alive connection may wait for its next request. Responses are never timed: a stream that keeps writing is not cut. Both ports.")
    var idleTimeout = 90.0
    @Option(help: "Open connections the public port holds at most; more are answered 503 and closed (lowered to what the open-file limit allows). The admin port holds 256.")
    var maxConnections = 4096
    @Option(help: "Open connections one client address (an IPv6 /64) may hold on the public port; more are answered 503 and closed. Raise it behind a load balancer or for a busy peer agent, whose connections all come from one address. The admin port allows 64.")
    var maxConnectionsPerAddress = 1024
    @Option(help: "Requests the public API serves at once (a stream counts until its end); more get 503 with retry-after.")
    var maxInFlight = 1024
    @Option(help: "Seconds between asking the other Nodes for a newer snapshot than this agent serves, so one that was down catches up (0 turns it off).")
    var pullInterval = 20.0

    static func address(_ text: String, option: String) throws -> (String, Int) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port) else {
            throw ValidationError("\(option) takes HOST:PORT, e.g. 127.0.0.1:8080 (port 0 picks a free one).")
        }
        return (String(text[..<colon]), port)
    }

    func validate() throws {
        _ = try Self.address(listen, option: "--listen")
        _ = try Self.address(adminListen, option: "--admin-listen")
        if drainTimeout < 0 { throw ValidationError("--drain-timeout must be 0 or more seconds.") }
        if probeInterval < 0 { throw ValidationError("--probe-interval must be 0 (off) or more seconds.") }
        if pullInterval < 0 { throw ValidationError("--pull-interval must be 0 (off) or more seconds.") }
        if probeTimeout <= 0 { throw ValidationError("--probe-timeout must be more than 0 seconds.") }
        if headerTimeout <= 0 || bodyTimeout <= 0 || idleTimeout <= 0 || writeTimeout <= 0 {
            throw ValidationError("--header-timeout, --body-timeout, --idle-timeout and --write-timeout must be more than 0 seconds.")
        }
        if maxConnections < 1 || maxConnectionsPerAddress < 1 || maxInFlight < 1 {
            throw ValidationError("--max-connections, --max-connections-per-address and --max-in-flight must be 1 or more.")
        }
        if queueTimeout <= 0 || scaleDownWindow < 0 || replicaStartTimeout <= 0 {
            throw ValidationError("--queue-timeout and --replica-start-timeout must be more than 0 seconds, --scale-down-window 0 or more.")
        }
        if GatewayConfiguration.ReplicaChoice(rawValue: replicaChoice) == nil {
            throw ValidationError("--replica-choice must be prefix-affinity or round-robin, got \(replicaChoice).")
        }
    }

    mutating func run() async throws {
        try await start()
    }

    func start() async throws {
        let environment = ProcessInfo.processInfo.environment
        let token: String
        if let file = clusterTokenFile {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines), !text.isEmpty else {
                throw ValidationError("Cannot read a cluster token from \(file); write one there or set LUMEN_CLUSTER_TOKEN.")
            }
            token = text
        } else if let text = environment["LUMEN_CLUSTER_TOKEN"], !text.isEmpty {
            token = text
        } else {
            throw ValidationError("Set LUMEN_CLUSTER_TOKEN or --cluster-token-file: the admin API needs a cluster token.")
        }
        // It guards the admin API and keys the peer tokens: a guessable one would open both.
        if let weakness = PeerToken.weakness(ofClusterToken: token) {
            throw ValidationError("Refusing to start: \(weakness)")
        }
        let home = home ?? environment["LUMEN_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? (NSHomeDirectory() as NSString).appendingPathComponent(".lumen")
        var options = AgentOptions(home: home, clusterToken: token)
        (options.listenHost, options.listenPort) = try Self.address(listen, option: "--listen")
        (options.adminHost, options.adminPort) = try Self.address(adminListen, option: "--admin-listen")
        options.drainTimeout = .seconds(drainTimeout)
        options.gateway.maxRequestBytes = maxRequestBytes
        options.gateway.maxInFlight = maxInFlight
        for listener in [\GatewayConfiguration.publicListener, \GatewayConfiguration.adminListener] {
            options.gateway[keyPath: listener].headerTimeout = .milliseconds(Int(headerTimeout * 1000))
            options.gateway[keyPath: listener].bodyTimeout = .milliseconds(Int(bodyTimeout * 1000))
            options.gateway[keyPath: listener].idleTimeout = .milliseconds(Int(idleTimeout * 1000))
            options.gateway[keyPath: listener].writeTimeout = .milliseconds(Int(writeTimeout * 1000))
        }
        options.gateway.publicListener.maxConnections = maxConnections
        options.gateway.publicListener.maxConnectionsPerAddress = maxConnectionsPerAddress
        options.gateway.replicaChoice = GatewayConfiguration.ReplicaChoice(rawValue: replicaChoice) ?? .prefixAffinity
        options.probeInterval = probeInterval > 0 ? .milliseconds(Int(probeInterval * 1000)) : nil
        options.probeTimeout = .milliseconds(Int(probeTimeout * 1000))
        options.pullInterval = pullInterval > 0 ? .milliseconds(Int(pullInterval * 1000)) : nil
        options.node = node
        options.secretsDirectory = secretsDir.map { ($0 as NSString).expandingTildeInPath }
        if let engine { options.runtime.engineExecutable = engine }
        options.gateway.queueTimeout = .milliseconds(Int(queueTimeout * 1000))
        options.runtime.stabilisation = .milliseconds(Int(scaleDownWindow * 1000))
        options.runtime.startTimeout = .milliseconds(Int(replicaStartTimeout * 1000))
        var logger = Logger(label: "lumen.agent")
        logger.logLevel = environment["LUMEN_LOG_LEVEL"].flatMap { Logger.Level(rawValue: $0.lowercased()) } ?? .info
        let listenHost = options.listenHost, adminHost = options.adminHost
        try await Agent.run(options, logger: logger) { publicPort, adminPort in
            // Written unbuffered: tests and `lumenctl up` wait for this line to learn the ports.
            FileHandle.standardOutput.write(Data(
                "lumen-agent listening on http://\(listenHost):\(publicPort)/v1 (admin http://\(adminHost):\(adminPort))\n".utf8))
        }
    }
}
