import Foundation
import LumenAPI
import LumenManifest
import LumenStore

/// A shadow test as the control store defines it, and what the fleet's agents have recorded for it.
struct ShadowFleet {
    let name: String
    let spec: ShadowTestSpec
    let route: RouteSpec
    let snapshot: Snapshot
    let nodes: [(name: String, admin: String)]
    let client: AdminClient

    /// Loads test `name` and its route from the store in `home`.
    init(_ name: String, home: HomeOptions) throws {
        let console = Console.current
        guard let store = try home.existingStore(), let snapshot = try store.snapshot() else { throw CommandFailure.emptyStore(home.path) }
        guard let test = snapshot.manifests.first(where: { $0.kind == .shadowTest && $0.name == name }),
              case .shadowTest(let spec) = test.spec else {
            throw CommandFailure.notFound(ManifestID(.shadowTest, name))
        }
        guard let routeManifest = snapshot.manifests.first(where: { $0.kind == .route && $0.name == spec.route }),
              case .route(let route) = routeManifest.spec else {
            throw CommandFailure("shadowtest/\(name) mirrors route \(spec.route), which does not exist; apply the route or delete the test")
        }
        self.name = name
        self.spec = spec
        self.route = route
        self.snapshot = snapshot
        nodes = StatePush.addressedNodes(snapshot)
        guard !nodes.isEmpty else {
            throw CommandFailure("no Node has an adminAddress, so there is no agent to ask; apply a Node manifest with spec.adminAddress")
        }
        client = AdminClient(token: AdminClient.token(environment: console.environment, home: home.path))
    }

    /// One agent's progress on the test.
    struct NodeProgress {
        var node: String
        var pairs = 0
        /// Pairs recorded plus mirrored requests still in flight.
        var taken = 0
        var error: String?
    }

    /// Each agent's pairs so far.
    func progress() throws -> [NodeProgress] {
        try client.read("/v1/shadow", of: nodes).map { result in
            var progress = NodeProgress(node: result.node, error: result.error)
            progress.pairs = result.answer?[name]?["pairs"]?.intValue ?? 0
            progress.taken = result.answer?[name]?["taken"]?.intValue ?? 0
            return progress
        }
    }

    /// Every agent's pairs, each marked with its node, and the agents that could not be asked.
    func pairs() throws -> (pairs: [ShadowPair], unreachable: [(node: String, error: String)]) {
        var pairs: [ShadowPair] = []
        var unreachable: [(String, String)] = []
        for result in try client.read("/v1/shadow/pairs?test=\(name)", of: nodes) {
            if let error = result.error {
                unreachable.append((result.node, error))
                continue
            }
            for var pair in try Self.decode([ShadowPair].self, result.body) {
                pair.node = result.node
                pairs.append(pair)
            }
        }
        return (pairs.sorted { ($0.at, $0.requestID) < ($1.at, $1.requestID) }, unreachable)
    }

    /// Every agent's ledger rows since `since`, and the agents' errors.
    func usage(since: Date) throws -> (rows: [UsageRecord], errors: [String]) {
        var failures: [String: String] = [:]
        let rows = try Costs.ledger(client, nodes, since: since.ISO8601Format(), until: nil, failures: &failures)
        return (rows.map(\.record), failures.sorted { $0.key < $1.key }.map { "node/\($0.key): \($0.value)" })
    }

    /// Every agent's view of its upstreams (HealthBoard reports as JSON).
    func health() throws -> [JSONValue] {
        try client.health(of: nodes).flatMap { $0.answer?.arrayValue ?? [] }
    }

    /// Whether the test still mirrors traffic somewhere: before `until` and under `maxRequests` on some agent.
    func isRunning(_ progress: [NodeProgress], now: Date = Date()) -> Bool {
        progress.contains { $0.error == nil && spec.isRunning(taken: $0.taken, now: now) }
    }

    /// Why a test no longer mirrors traffic.
    func endReason(now: Date = Date()) -> String {
        if let until = spec.untilDate, now >= until { return "ended at \(spec.until ?? "")" }
        return "reached maxRequests (\(spec.maxRequests ?? 0) per agent)"
    }

    static func decode<T: Decodable>(_ type: T.Type, _ body: Data?) throws -> T {
        do {
            return try JSONDecoder().decode(type, from: body ?? Data("[]".utf8))
        } catch {
            throw CommandFailure("an agent answered with data this lumenctl cannot read (\(error)); run the same version of lumenctl and lumen-agent")
        }
    }
}
