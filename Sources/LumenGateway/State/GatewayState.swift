public import Foundation
public import LumenManifest
public import LumenStore
import Synchronization
import LumenAPI

/// One OpenAI-compatible address a model can be served from.
public struct Upstream: Sendable, Hashable {
    /// `provider/openai` or `endpoint/http://10.0.0.5:8000/v1`: how logs and the ledger name it.
    public var id: String
    public var baseURL: String
    /// The model name the upstream expects.
    public var upstreamModel: String
    public var authorization: String?
    public var headers: [String: String]
    public var continuation: Continuation
    public var firstTokenTimeout: Duration
    /// The longest gap between chunks of an answer's body.
    public var idleTimeout: Duration
    /// Requests this agent sends it at once at most (a Provider's `maxConcurrency`); nil: no bound.
    public var maxConcurrency: Int?
    /// How long connecting may take (a Provider's `timeouts.connect`); nil: the agent client's 5 s.
    public var connectTimeout: Duration?

    public init(id: String, baseURL: String, upstreamModel: String, authorization: String?, headers: [String: String],
                continuation: Continuation, firstTokenTimeout: Duration, idleTimeout: Duration,
                maxConcurrency: Int? = nil, connectTimeout: Duration? = nil) {
        self.id = id
        self.baseURL = baseURL
        self.upstreamModel = upstreamModel
        self.authorization = authorization
        self.headers = headers
        self.continuation = continuation
        self.firstTokenTimeout = firstTokenTimeout
        self.idleTimeout = idleTimeout
        self.maxConcurrency = maxConcurrency
        self.connectTimeout = connectTimeout
    }
}

/// A model as the gateway serves it.
public struct ServedModel: Sendable {
    public var name: String
    public var spec: ModelSpec
    /// Upstreams that do not come and go with this agent's replicas: a provider, endpoints, peer agents.
    public var fixedUpstreams: [Upstream]
    /// The replicas this agent runs itself, when it hosts the model.
    public var pool: ReplicaPool?
    /// Why the model cannot be served on this agent (a missing provider key), if so.
    public var unavailableReason: String?
    let rotation = ReplicaRotation()

    public init(name: String, spec: ModelSpec, upstreams: [Upstream], pool: ReplicaPool? = nil, unavailableReason: String? = nil) {
        self.name = name
        self.spec = spec
        fixedUpstreams = upstreams
        self.pool = pool
        self.unavailableReason = unavailableReason
    }

    /// Every upstream that may take a request now: this agent's ready replicas first, then the fixed ones.
    public var upstreams: [Upstream] { (pool?.ready ?? []) + fixedUpstreams }

    /// The model as a peer agent's request sees it: only this agent's own replicas, so a request
    /// never travels from peer to peer.
    var localOnly: ServedModel {
        var model = self
        model.fixedUpstreams = []
        return model
    }

    /// `upstreams` in the order to try them: each request starts one further along (round robin).
    func inTurn(_ upstreams: [Upstream]) -> [Upstream] {
        guard upstreams.count > 1 else { return upstreams }
        let start = rotation.next() % upstreams.count
        return Array(upstreams[start...] + upstreams[..<start])
    }
}

extension Upstream {
    /// Ids of upstreams that are other agents: `peer/NODE`.
    public static let peerPrefix = "peer/"
    /// Ids of replicas this agent runs: `replica/MODEL-N`.
    public static let replicaPrefix = "replica/"
}

/// Who this agent is among the snapshot's Nodes, and what it needs to serve the models it hosts.
public struct LocalNode: Sendable {
    /// The Node manifest naming this agent (`lumen-agent run --node`); nil: found by address.
    public var name: String?
    /// `host:port` of the public API, to find this agent's Node by its address.
    public var publicAddress: String?
    public var pools: ReplicaPools
    /// What this agent's peer token (sent to peer agents, per node) is made with.
    public var peerKey: PeerToken.Key?
    /// The only folder a provider's `apiKeyFile` may be read from (`lumen-agent run --secrets-dir`); nil: none is read.
    public var secretsDirectory: String?

    public init(name: String? = nil, publicAddress: String? = nil, pools: ReplicaPools = ReplicaPools(), peerKey: PeerToken.Key? = nil) {
        self.name = name
        self.publicAddress = publicAddress
        self.pools = pools
        self.peerKey = peerKey
    }

    /// This agent's Node among `nodes`: the one named, else the one at its address, else the only one.
    public func resolve(in nodes: [String: NodeSpec]) -> String? {
        if let name { return nodes[name] == nil ? nil : name }
        if let publicAddress, let match = nodes.keys.sorted().first(where: { Self.hostPort(nodes[$0]?.address ?? "") == publicAddress }) {
            return match
        }
        return nodes.count == 1 ? nodes.keys.first : nil
    }

    static func hostPort(_ url: String) -> String? {
        guard let components = URLComponents(string: url), let host = components.host else { return nil }
        return "\(host):\(components.port ?? 80)"
    }
}

/// A model's round-robin position, shared by every request that uses one compiled state.
final class ReplicaRotation: Sendable {
    private let counter = Atomic<Int>(0)

    func next() -> Int {
        counter.add(1, ordering: .relaxed).oldValue
    }
}

/// A snapshot made ready to serve: lookups by name and key hash, secrets read from the environment.
/// Immutable; a request keeps the one it started with even when a newer one arrives.
public struct CompiledState: Sendable {
    public var revision: Int
    public var routes: [String: RouteSpec]
    public var models: [String: ServedModel]
    public var keysByHash: [String: APIKeyRecord]
    /// Shadow tests by the route they mirror.
    public var shadowTests: [String: [ShadowMirror.Test]] = [:]
    /// Problems found while compiling, such as provider keys missing from the environment.
    public var warnings: [String]
    /// This agent's Node, when the snapshot names it.
    public var node: (name: String, spec: NodeSpec)?

    public static let empty = CompiledState(revision: 0, routes: [:], models: [:], keysByHash: [:], warnings: [])

    public init(revision: Int, routes: [String: RouteSpec], models: [String: ServedModel], keysByHash: [String: APIKeyRecord], warnings: [String]) {
        self.revision = revision
        self.routes = routes
        self.models = models
        self.keysByHash = keysByHash
        self.warnings = warnings
    }

    public init(snapshot: Snapshot, local: LocalNode = LocalNode(), environment: [String: String] = ProcessInfo.processInfo.environment) {
        var providers: [String: ProviderSpec] = [:]
        var nodes: [String: NodeSpec] = [:]
        var routes: [String: RouteSpec] = [:]
        var modelSpecs: [String: ModelSpec] = [:]
        var shadowTests: [String: [ShadowMirror.Test]] = [:]
        for manifest in snapshot.manifests {
            switch manifest.spec {
            case .provider(let spec): providers[manifest.name] = spec
            case .route(let spec): routes[manifest.name] = spec
            case .model(let spec): modelSpecs[manifest.name] = spec
            case .shadowTest(let spec): shadowTests[spec.route, default: []].append(ShadowMirror.Test(name: manifest.name, spec: spec))
            case .node(let spec): nodes[manifest.name] = spec
            }
        }
        var warnings: [String] = []
        let nodeName = local.resolve(in: nodes)
        if let name = local.name, nodes[name] == nil {
            warnings.append("this agent is node \(name), which the snapshot has no Node manifest for; apply one so it runs the models placed on it")
        } else if nodeName == nil && nodes.count > 1 {
            warnings.append("this agent cannot tell which of the \(nodes.count) Nodes it is, so it runs no replicas; start it with lumen-agent run --node NAME")
        }
        var models: [String: ServedModel] = [:]
        for (name, spec) in modelSpecs {
            var upstreams: [Upstream] = []
            var pool: ReplicaPool?
            var reason: String?
            if let providerName = spec.provider, let provider = providers[providerName] {
                var authorization: String?
                if let variable = provider.apiKeyEnv {
                    if let key = environment[variable], !key.isEmpty {
                        authorization = "Bearer " + key
                    } else {
                        reason = "provider \(providerName) reads its key from $\(variable), which is not set on this agent; set it and restart the agent"
                    }
                } else if let file = provider.apiKeyFile {
                    switch SecretFile.read(file, under: local.secretsDirectory, provider: providerName) {
                    case .success(let key): authorization = "Bearer " + key
                    case .failure(let refusal): reason = refusal.description
                    }
                }
                upstreams.append(Upstream(
                    id: "provider/\(providerName)", baseURL: provider.baseURL, upstreamModel: spec.upstreamModel ?? name,
                    authorization: authorization, headers: provider.headers?.values ?? [:], continuation: provider.continuation,
                    firstTokenTimeout: provider.timeouts.firstToken.duration, idleTimeout: provider.timeouts.idle.duration,
                    maxConcurrency: provider.maxConcurrency, connectTimeout: provider.timeouts.connect.duration))
            } else if let deployment = spec.deployment {
                for endpoint in deployment.endpoints ?? [] {
                    upstreams.append(Upstream(
                        id: "endpoint/\(endpoint)", baseURL: endpoint, upstreamModel: name, authorization: nil, headers: [:],
                        continuation: deployment.continuation, firstTokenTimeout: .seconds(60), idleTimeout: .seconds(60)))
                }
                if deployment.engine != nil {
                    let hosts = nodes.keys.sorted().filter { nodes[$0].map(deployment.runs(on:)) ?? false }
                    if let nodeName, hosts.contains(nodeName) { pool = local.pools.pool(name) }
                    for peer in hosts where peer != nodeName {
                        guard let address = nodes[peer]?.address else { continue }
                        // The peer token names the calling node: without its own name this agent cannot call peers.
                        guard let nodeName, let peerKey = local.peerKey else { continue }
                        upstreams.append(Upstream(
                            id: Upstream.peerPrefix + peer, baseURL: address.hasSuffix("/v1") ? address : Gateway.join(address, "/v1"),
                            upstreamModel: name, authorization: "Bearer " + peerKey.token(for: nodeName), headers: [PeerToken.nodeHeader: nodeName],
                            continuation: deployment.continuation, firstTokenTimeout: .seconds(60), idleTimeout: .seconds(60)))
                    }
                    if hosts.isEmpty {
                        let selector = deployment.nodes.map { " labelled " + $0.values.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",") } ?? ""
                        reason = "no Node\(selector) with at least \(deployment.slots ?? 1) slot(s) runs model \(name); apply such a Node, or change the model's deployment.nodes or slots"
                    }
                }
            }
            if let reason { warnings.append(reason) }
            models[name] = ServedModel(name: name, spec: spec, upstreams: upstreams, pool: pool, unavailableReason: reason)
        }
        var keys: [String: APIKeyRecord] = [:]
        for key in snapshot.keys { keys[key.hash] = key }
        self.init(revision: snapshot.revision, routes: routes, models: models, keysByHash: keys, warnings: warnings.sorted())
        self.shadowTests = shadowTests
        node = nodeName.flatMap { name in nodes[name].map { (name, $0) } }
    }
}

/// The state the gateway serves now; swapped whole when a newer snapshot is applied.
public final class GatewayState: Sendable {
    private let current: Mutex<CompiledState>

    public init(_ state: CompiledState = .empty) {
        current = Mutex(state)
    }

    public var snapshot: CompiledState { current.withLock { $0 } }

    /// Installs `state` if it is newer; returns whether it was installed.
    @discardableResult
    public func install(_ state: CompiledState) -> Bool {
        current.withLock { existing in
            guard state.revision > existing.revision else { return false }
            existing = state
            return true
        }
    }
}
