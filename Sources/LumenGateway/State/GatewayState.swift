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
    public var idleTimeout: Duration
}

/// A model as the gateway serves it.
public struct ServedModel: Sendable {
    public var name: String
    public var spec: ModelSpec
    public var upstreams: [Upstream]
    /// Why the model cannot be served on this agent (a missing provider key), if so.
    public var unavailableReason: String?
    let rotation = ReplicaRotation()

    /// The replicas in the order to try them: each request starts one further along (round robin).
    func upstreamsInTurn() -> [Upstream] {
        guard upstreams.count > 1 else { return upstreams }
        let start = rotation.next() % upstreams.count
        return Array(upstreams[start...] + upstreams[..<start])
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

    public static let empty = CompiledState(revision: 0, routes: [:], models: [:], keysByHash: [:], warnings: [])

    public init(revision: Int, routes: [String: RouteSpec], models: [String: ServedModel], keysByHash: [String: APIKeyRecord], warnings: [String]) {
        self.revision = revision
        self.routes = routes
        self.models = models
        self.keysByHash = keysByHash
        self.warnings = warnings
    }

    public init(snapshot: Snapshot, environment: [String: String] = ProcessInfo.processInfo.environment) {
        var providers: [String: ProviderSpec] = [:]
        var routes: [String: RouteSpec] = [:]
        var modelSpecs: [String: ModelSpec] = [:]
        var shadowTests: [String: [ShadowMirror.Test]] = [:]
        for manifest in snapshot.manifests {
            switch manifest.spec {
            case .provider(let spec): providers[manifest.name] = spec
            case .route(let spec): routes[manifest.name] = spec
            case .model(let spec): modelSpecs[manifest.name] = spec
            case .shadowTest(let spec): shadowTests[spec.route, default: []].append(ShadowMirror.Test(name: manifest.name, spec: spec))
            case .node: break
            }
        }
        var warnings: [String] = []
        var models: [String: ServedModel] = [:]
        for (name, spec) in modelSpecs {
            var upstreams: [Upstream] = []
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
                    if let key = try? String(contentsOfFile: file, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines), !key.isEmpty {
                        authorization = "Bearer " + key
                    } else {
                        reason = "provider \(providerName) reads its key from \(file), which this agent cannot read"
                    }
                }
                upstreams.append(Upstream(
                    id: "provider/\(providerName)", baseURL: provider.baseURL, upstreamModel: spec.upstreamModel ?? name,
                    authorization: authorization, headers: provider.headers?.values ?? [:], continuation: provider.continuation,
                    firstTokenTimeout: provider.timeouts.firstToken.duration, idleTimeout: provider.timeouts.idle.duration))
            } else if let deployment = spec.deployment {
                for endpoint in deployment.endpoints ?? [] {
                    upstreams.append(Upstream(
                        id: "endpoint/\(endpoint)", baseURL: endpoint, upstreamModel: name, authorization: nil, headers: [:],
                        continuation: deployment.continuation, firstTokenTimeout: .seconds(60), idleTimeout: .seconds(60)))
                }
                if deployment.engine != nil {
                    reason = "model \(name) runs on replicas the agent starts itself (engine \(deployment.engine?.rawValue ?? "")), which this agent does not start yet; serve it through deployment.endpoints"
                }
            }
            if let reason { warnings.append(reason) }
            models[name] = ServedModel(name: name, spec: spec, upstreams: upstreams, unavailableReason: reason)
        }
        var keys: [String: APIKeyRecord] = [:]
        for key in snapshot.keys { keys[key.hash] = key }
        self.init(revision: snapshot.revision, routes: routes, models: models, keysByHash: keys, warnings: warnings.sorted())
        self.shadowTests = shadowTests
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
