public import Foundation
import AsyncHTTPClient
import Hummingbird
public import LumenGateway
import LumenAPI
import LumenRouting
import LumenStore
public import Logging
import NIOCore
import ServiceLifecycle
import UnixSignals
import Synchronization

/// How an agent is started.
public struct AgentOptions: Sendable {
    public var home: String
    public var listenHost = "127.0.0.1"
    public var listenPort = 8080
    public var adminHost = "127.0.0.1"
    public var adminPort = 7070
    public var clusterToken: String
    public var drainTimeout: Duration = .seconds(30)
    /// How often upstreams are probed; nil turns probing off.
    public var probeInterval: Duration? = .seconds(5)
    public var probeTimeout: Duration = .seconds(10)
    /// The models' replica pools, shared by every snapshot this agent compiles.
    let pools = ReplicaPools()
    public var gateway = GatewayConfiguration()
    /// The Node manifest that is this agent (nil: the one at its listen address, else the only one).
    public var node: String?
    public var runtime: RuntimeOptions
    /// The only folder providers' `apiKeyFile`s are read from (nil: `secrets` in the home).
    public var secretsDirectory: String?
    /// How often the agent asks its peers for a newer snapshot than it serves (nil: never).
    public var pullInterval: Duration? = .seconds(20)

    public init(home: String, clusterToken: String) {
        self.home = home
        self.clusterToken = clusterToken
        runtime = RuntimeOptions(engineExecutable: Executables.sibling("lumen-engine"),
                                 logDirectory: (home as NSString).appendingPathComponent("replicas"))
    }

    /// Who this agent is when it compiles a snapshot.
    var local: LocalNode {
        var local = LocalNode(name: node, publicAddress: "\(listenHost):\(listenPort)", pools: pools, peerKey: gateway.peerKey)
        local.secretsDirectory = secretsDirectory ?? (home as NSString).appendingPathComponent("secrets")
        return local
    }
}

/// `lumen-agent`: the public API and the admin API, with its ledger, in one ordered service group.
public enum Agent {
    public static let version = "0.1.0"

    /// Runs until SIGTERM or SIGINT, then stops accepting, lets open streams finish (up to the
    /// drain timeout) and flushes the ledger. `onListening` receives the public and admin ports.
    public static func run(_ options: AgentOptions, logger: Logger,
                           onListening: @escaping @Sendable (_ publicPort: Int, _ adminPort: Int) -> Void = { _, _ in }) async throws {
        let options = { (given: AgentOptions) in
            var options = given
            options.gateway.fitConnectionCaps(openFiles: ListenerLimits.raiseOpenFileLimit(), logger: logger)
            options.gateway.peerKey = PeerToken.Key(clusterToken: given.clusterToken)
            return options
        }(options)
        let local = options.local
        let store = try AgentStore(home: options.home)
        // First: it replays what a crash left in its journal, which the budgets below are rebuilt from.
        let ledger = try UsageLedger(store: store, home: options.home, logger: logger)
        let state = GatewayState()
        // Pushed and pulled snapshots are applied by one installer.
        let installer = SnapshotInstaller(state: state, store: store, local: local, logger: logger)
        try installer.loadPersisted()
        var clientConfiguration = HTTPClient.Configuration()
        clientConfiguration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 1024)
        clientConfiguration.timeout.connect = .seconds(5)
        clientConfiguration.decompression = .disabled
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: clientConfiguration)
        let health = HealthBoard()
        let budgets = try Self.budgets(from: store)
        let gateway = Gateway(state: state, client: client, ledger: ledger, health: health, budgets: budgets,
                              shadowStore: store, configuration: options.gateway, logger: logger)

        let ports = PortReport(onListening)
        let publicRouter = Router()
        gateway.register(on: publicRouter)
        let publicApp = Application(
            router: publicRouter,
            server: .streamingHTTP1(limits: options.gateway.publicListener),
            configuration: .init(address: .hostname(options.listenHost, port: options.listenPort), serverName: "lumen-agent", backlog: 4096),
            onServerRunning: { channel in ports.report(public: channel.localAddress?.port ?? options.listenPort) },
            logger: logger)
        let adminRouter = Router()
        let runtime = NodeRuntime(gateway: state, health: health, client: client, options: options.runtime, logger: logger)
        AdminAPI(state: state, health: health, gateway: gateway, runtime: runtime, store: store, installer: installer, clusterToken: options.clusterToken,
                 version: version, logger: logger).register(on: adminRouter)
        let adminApp = Application(
            router: adminRouter,
            server: .guardedHTTP1(limits: options.gateway.adminListener),
            configuration: .init(address: .hostname(options.adminHost, port: options.adminPort), serverName: "lumen-agent-admin"),
            onServerRunning: { channel in ports.report(admin: channel.localAddress?.port ?? options.adminPort) },
            logger: logger)

        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(service: LedgerService(ledger: ledger, shadows: gateway.shadows)),
            // Before the servers: it stops the replicas only after the servers have drained.
            .init(service: runtime),
            .init(service: adminApp),
            .init(service: publicApp),
        ]
        if let interval = options.pullInterval {
            services.append(.init(service: SnapshotPull(installer: installer, client: client, key: PeerToken.Key(clusterToken: options.clusterToken), interval: interval, logger: logger)))
        }
        if let interval = options.probeInterval {
            services.append(.init(service: HealthChecker(state: state, health: health, client: client, interval: interval, timeout: options.probeTimeout)))
        }
        var configuration = ServiceGroupConfiguration(
            services: services,
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger)
        configuration.maximumGracefulShutdownDuration = options.drainTimeout
        // LedgerService flushes the ledger as the group stops, after the servers have drained.
        do {
            try await ServiceGroup(configuration: configuration).run()
        } catch {
            try? await client.shutdown()
            throw error
        }
        try? await client.shutdown()
    }

    /// Budgets that remember this month's spend from the ledger, so a restart does not refill them.
    static func budgets(from store: AgentStore) throws -> BudgetBook {
        let budgets = BudgetBook()
        let monthStart = Calendar(identifier: .gregorian).dateInterval(of: .month, for: Date())?.start ?? Date()
        for row in try store.spend(since: monthStart.addingTimeInterval(-86_400).ISO8601Format()) {
            guard let at = try? Date(row.at, strategy: .iso8601), let cost = Decimal(string: row.cost) else { continue }
            let scopes = [row.route.map(BudgetBook.Scope.route), row.keyName.map(BudgetBook.Scope.key)].compactMap { $0 }
            budgets.record(cost, at: at, for: scopes)
        }
        return budgets
    }
}

/// Writes shadow pairs on the ledger's SQLite thread; on shutdown (after the servers drained)
/// writes the rest of the ledger and the pairs and stops its threads.
struct LedgerService: Service {
    let ledger: UsageLedger
    let shadows: ShadowMirror

    func run() async throws {
        ledger.addPeriodic { [shadows] in shadows.flush() }
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(1))
            }
        }
        await ledger.close()
    }
}

/// Calls back once both servers are listening, with their actual ports.
final class PortReport: Sendable {
    private let ports = Mutex<(public: Int?, admin: Int?, reported: Bool)>((nil, nil, false))
    private let callback: @Sendable (Int, Int) -> Void

    init(_ callback: @escaping @Sendable (Int, Int) -> Void) {
        self.callback = callback
    }

    func report(public port: Int? = nil, admin: Int? = nil) {
        let ready = ports.withLock { state -> (Int, Int)? in
            if let port { state.public = port }
            if let admin { state.admin = admin }
            guard let publicPort = state.public, let adminPort = state.admin, !state.reported else { return nil }
            state.reported = true
            return (publicPort, adminPort)
        }
        if let ready { callback(ready.0, ready.1) }
    }
}
