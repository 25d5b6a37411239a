import AsyncHTTPClient
import Foundation
import LumenAPI
import LumenManifest
import LumenStore
import NIOCore
import NIOHTTP1

/// Talks to agents' admin APIs: pushes snapshots and reads status.
struct AdminClient {
    let token: String?

    /// The outcome of one push or status check.
    struct NodeResult: Sendable {
        var node: String
        var appliedRevision: Int?
        var version: String?
        var error: String?
        /// The agent's answer, for reads such as health.
        var answer: JSONValue?
        /// The answer's bytes, for callers that decode a typed answer (such as the usage ledger).
        var body: Data?
        /// Where a log read ended (`x-log-offset`), to follow the log from there.
        var logOffset: UInt64?
    }

    /// A refused connection fails at once instead of being retried until the deadline: a node that
    /// is down is reported as down without lumenctl waiting 10 s for it (the next command, lumenctl
    /// sync and the agents' own pulls catch it up). Lives as long as the process, as `shared` does.
    static let http: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.timeout.connect = .seconds(5)
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()

    /// The cluster token: `LUMEN_CLUSTER_TOKEN`, else the `cluster-token` file in the home.
    static func token(environment: [String: String], home: String) -> String? {
        if let token = environment["LUMEN_CLUSTER_TOKEN"], !token.isEmpty { return token }
        let file = (home as NSString).appendingPathComponent("cluster-token")
        return (try? String(contentsOfFile: file, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines).nilIfEmpty
    }

    /// Pushes `snapshot` to every node that has an admin address, all at once.
    func push(_ snapshot: Snapshot, to nodes: [(name: String, admin: String)]) throws -> [NodeResult] {
        let body = try JSONEncoder().encode(snapshot)
        return try each(nodes) { node, token in
            await Self.send(.PUT, node: node, path: "/v1/snapshot", body: body, token: token, revision: snapshot.revision)
        }
    }

    /// Asks every node for its status.
    func status(of nodes: [(name: String, admin: String)]) throws -> [NodeResult] {
        try read("/v1/status", of: nodes)
    }

    /// Asks every node for the health of its upstreams.
    func health(of nodes: [(name: String, admin: String)]) throws -> [NodeResult] {
        try read("/v1/health", of: nodes)
    }

    /// GETs `path` (with its query) from every node's admin API; each answer is in `answer`.
    /// `timeout` bounds each node's answer: a node that does not answer in time is unreachable.
    func read(_ path: String, of nodes: [(name: String, admin: String)], timeout: TimeAmount = .seconds(10)) throws -> [NodeResult] {
        try each(nodes) { node, token in
            await Self.send(.GET, node: node, path: path, body: nil, token: token, revision: nil, timeout: timeout)
        }
    }

    /// Runs `call` against every node concurrently; results sorted by node name.
    private func each(
        _ nodes: [(name: String, admin: String)],
        _ call: @escaping @Sendable ((name: String, admin: String), String?) async -> NodeResult
    ) throws -> [NodeResult] {
        let token = token
        return try blocking {
            await withTaskGroup(of: NodeResult.self) { group in
                for node in nodes { group.addTask { await call(node, token) } }
                var results: [NodeResult] = []
                for await result in group { results.append(result) }
                return results.sorted { $0.node < $1.node }
            }
        }
    }

    private static func send(_ method: HTTPMethod, node: (name: String, admin: String), path: String, body: Data?,
                             token: String?, revision: Int?, timeout: TimeAmount = .seconds(10)) async -> NodeResult {
        var result = NodeResult(node: node.name)
        guard let token else {
            result.error = "no cluster token: set LUMEN_CLUSTER_TOKEN or write it to the cluster-token file in the Lumen home"
            return result
        }
        var request = HTTPClientRequest(url: (node.admin.hasSuffix("/") ? String(node.admin.dropLast()) : node.admin) + path)
        request.method = method
        request.headers.add(name: "authorization", value: "Bearer \(token)")
        if let body {
            request.headers.add(name: "content-type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        do {
            let response = try await Self.http.execute(request, timeout: timeout)
            // Ledgers and shadow pairs can be large; a status answer is small.
            let data = try await response.body.collect(upTo: 1 << 30)
            let answer = try? JSONValue(json: String(buffer: data))
            result.body = Data(data.readableBytesView)
            result.logOffset = response.headers.first(name: "x-log-offset").flatMap { UInt64($0) }
            result.answer = answer
            result.version = answer?["version"]?.stringValue
            switch response.status.code {
            case 200:
                result.appliedRevision = answer?["appliedRevision"]?.intValue ?? answer?["revision"]?.intValue
            case 409:
                // Already at this revision or newer: up to date.
                result.appliedRevision = answer?["appliedRevision"]?.intValue
                if let applied = result.appliedRevision, let revision, applied < revision {
                    result.error = answer?["error"]?["message"]?.stringValue ?? "refused the revision"
                }
            case 401:
                result.error = "the agent refused the cluster token; use the token the agent was started with"
            default:
                result.error = "HTTP \(response.status.code): \(answer?["error"]?["message"]?.stringValue ?? String(buffer: data).prefix(200).description)"
            }
        } catch {
            let text = "\(error)"
            result.error = text.contains("connectionRefused") || text.contains("Connection refused")
                ? "unreachable (connection refused)" : "unreachable (\(text))"
        }
        return result
    }
}

extension String {
    var nilIfEmpty: String? { isEmpty ? nil : self }
}
