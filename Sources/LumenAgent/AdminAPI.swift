import Foundation
import Hummingbird
import HTTPTypes
import LumenAPI
import LumenGateway
import LumenStore
import Logging
import NIOCore
import NIOPosix

extension HTTPField.Name {
    /// Where a log read ended: the offset to ask from next.
    static let logOffset = HTTPField.Name("x-log-offset")!
}

/// The agent's admin API (cluster token required): snapshot pushes, status, upstream health and the usage ledger.
struct AdminAPI: Sendable {
    let state: GatewayState
    let health: HealthBoard
    let gateway: Gateway
    let runtime: NodeRuntime
    let store: AgentStore
    let installer: SnapshotInstaller
    let clusterToken: String
    var clusterKey: PeerToken.Key { PeerToken.Key(clusterToken: clusterToken) }
    let version: String
    let logger: Logger

    static let maxSnapshotBytes = 64 * 1024 * 1024

    func register(on router: Router<BasicRequestContext>) {
        router.get("/health") { _, _ in json(.map([.init("status", .string("ok"))])) }
        // The page names upstream URLs and what budgets have left: Prometheus sends the cluster
        // token as its bearer token (authorization.credentials_file in a scrape config).
        router.get("/metrics") { request, _ in
            guard authorized(request) else { return unauthorized() }
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                     body: .init(byteBuffer: ByteBuffer(string: gateway.metricsText() + runtime.metricsText())))
        }
        router.put("/v1/snapshot") { request, _ in
            guard authorized(request) else { return unauthorized() }
            return await applySnapshot(request)
        }
        // The snapshot this agent persisted, as it was pushed, signed: peers that were down fetch it
        // (SnapshotPull) with their pull token.
        router.get("/v1/snapshot") { request, _ in
            guard authorized(request) || authorizedToPull(request) else { return unauthorized() }
            do {
                guard let persisted = try await NIOThreadPool.singleton.runIfActive({ try store.loadSnapshot() }) else {
                    return json(OpenAIError.notFound("this agent has no snapshot yet; push one with lumenctl sync", param: nil, code: "no_snapshot").body,
                                status: .notFound)
                }
                return Response(status: .ok, headers: [.contentType: "application/json", HTTPField.Name("x-lumen-revision")!: String(persisted.revision),
                                                       HTTPField.Name(PeerToken.snapshotSignatureHeader)!: clusterKey.signature(ofSnapshot: persisted.body)],
                                body: ResponseBody(byteBuffer: ByteBuffer(bytes: persisted.body)))
            } catch {
                return json(OpenAIError.server("cannot read the persisted snapshot: \(error)").body, status: .internalServerError)
            }
        }
        router.get("/v1/status") { request, _ in
            guard authorized(request) || authorizedToPull(request) else { return unauthorized() }
            let current = state.snapshot
            return json(.map([
                .init("revision", .number(String(current.revision))), .init("version", .string(version)),
                .init("warnings", .list(current.warnings.map(JSONValue.string))),
            ]))
        }
        router.get("/v1/health") { request, _ in
            guard authorized(request) else { return unauthorized() }
            return encoded(health.reports())
        }
        router.get("/v1/replicas") { request, _ in
            guard authorized(request) else { return unauthorized() }
            return encoded(runtime.report)
        }
        // A replica's log: its last `tail` lines, or (with `offset`) what was written since, for following.
        router.get("/v1/logs") { request, _ in
            guard authorized(request) else { return unauthorized() }
            // File reads off the event loop.
            let query = request.uri.queryParameters
            return try await NIOThreadPool.singleton.runIfActive { logs(query) }
        }
        // Each shadow test's pairs on this agent: recorded, and taken (recorded plus in flight).
        router.get("/v1/shadow") { request, _ in
            guard authorized(request) else { return unauthorized() }
            do {
                let recorded = try store.shadowPairCounts()
                let taken = gateway.shadows.taken()
                let names = Set(recorded.keys).union(taken.keys).sorted()
                return json(.map(names.map { name in
                    .init(name, .map([.init("pairs", .number(String(recorded[name] ?? 0))),
                                      .init("taken", .number(String(taken[name] ?? 0)))]))
                }))
            } catch {
                return json(OpenAIError.server("cannot read the shadow pairs: \(error)").body, status: .internalServerError)
            }
        }
        router.get("/v1/shadow/pairs") { request, _ in
            guard authorized(request) else { return unauthorized() }
            let query = request.uri.queryParameters
            guard let test = query.get("test"), !test.isEmpty else {
                return json(OpenAIError.invalidRequest("name the shadow test: /v1/shadow/pairs?test=NAME", param: "test").body, status: .badRequest)
            }
            do {
                return encoded(try store.shadowPairs(test: test, limit: query.get("limit", as: Int.self) ?? 100_000))
            } catch {
                return json(OpenAIError.server("cannot read the shadow pairs: \(error)").body, status: .internalServerError)
            }
        }
        router.get("/v1/usage") { request, _ in
            guard authorized(request) else { return unauthorized() }
            // since and until: ISO 8601 times; rows that started in [since, until).
            let query = request.uri.queryParameters
            let limit = query.get("limit", as: Int.self) ?? 100_000
            do {
                // Read on the ledger's own thread, with the rows still on their way from its journal to agent.db.
                return encoded(try await gateway.ledger.usage(since: query.get("since"), until: query.get("until"), limit: limit))
            } catch {
                return json(OpenAIError.server("cannot read the usage ledger: \(error)").body, status: .internalServerError)
            }
        }
    }

    private func logs(_ query: Parameters) -> Response {
        guard let model = query.get("model"), !model.isEmpty else {
            return json(OpenAIError.invalidRequest("name the model: /v1/logs?model=NAME&replica=N", param: "model").body, status: .badRequest)
        }
        if let text = query.get("replica"), Int(text) == nil {
            return json(OpenAIError.invalidRequest("replica takes a replica's number, 0 or more", param: "replica").body, status: .badRequest)
        }
        let index = query.get("replica", as: Int.self) ?? 0
        // The name becomes part of a file path: only object names, and only files inside the replicas folder.
        let path: String
        switch runtime.readableLogPath(model: model, index: index) {
        case .success(let found): path = found
        case .failure(let refusal):
            return json(OpenAIError.invalidRequest(refusal.message, param: refusal.param).body, status: .badRequest)
        }
        if let offset = query.get("offset", as: UInt64.self) {
            guard let (data, next) = WorkerLog.read(path, from: offset) else { return noLog(model, index) }
            return Response(status: .ok, headers: [.contentType: "text/plain; charset=utf-8", .logOffset: String(next)],
                            body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
        }
        let lines = min(max(query.get("tail", as: Int.self) ?? 100, 0), 100_000)
        guard let text = WorkerLog.tail(path, lines: lines) else { return noLog(model, index) }
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        return Response(status: .ok, headers: [.contentType: "text/plain; charset=utf-8", .logOffset: String(size)],
                        body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    private func noLog(_ model: String, _ index: Int) -> Response {
        let known = runtime.report.replicas.filter { $0.model == model }.map { String($0.index) }
        let hint = known.isEmpty ? "this node runs no replica of \(model) now; lumenctl get replicas shows where it runs"
            : "its replicas here are \(known.joined(separator: ", ")); lumenctl get replicas shows them all"
        return json(OpenAIError.notFound("no log for replica \(index) of \(model) on this node; \(hint)", param: "replica", code: "log_not_found").body,
                    status: .notFound)
    }

    private func authorized(_ request: Request) -> Bool {
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer ") else { return false }
        return APIKeySecret.constantTimeEquals(APIKeySecret.hash(String(header.dropFirst(7))), APIKeySecret.hash(clusterToken))
    }

    /// A peer's pull token (`PeerToken.Key.pullToken`): it reads the revision and the snapshot only.
    private func authorizedToPull(_ request: Request) -> Bool {
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer " + PeerToken.pullScheme),
              let node = request.headers[HTTPField.Name(PeerToken.nodeHeader)!], node.utf8.count <= 256 else { return false }
        return clusterKey.verifyPull(String(header.dropFirst(7)), node: node)
    }

    private func unauthorized() -> Response {
        json(OpenAIError(status: 401, message: "the admin API needs the cluster token: Authorization: Bearer <LUMEN_CLUSTER_TOKEN>",
                         type: "invalid_request_error", code: "invalid_cluster_token").body, status: .unauthorized)
    }

    private func applySnapshot(_ request: Request) async -> Response {
        var request = request
        let snapshot: Snapshot
        let body: ByteBuffer
        do {
            body = try await request.collectBody(upTo: Self.maxSnapshotBytes)
            snapshot = try JSONDecoder().decode(Snapshot.self, from: Data(body.readableBytesView))
        } catch {
            return json(OpenAIError.invalidRequest("not a Lumen snapshot: \(error)").body, status: .badRequest)
        }
        switch await installer.applyOffTheEventLoop(snapshot, body: Data(body.readableBytesView), from: "push") {
        case .stale(let current):
            var error = OpenAIError(status: 409, message: "revision \(snapshot.revision) is not newer than the applied revision \(current); nothing changed",
                                    type: "invalid_request_error", code: "stale_revision").body
            error = error.setting("appliedRevision", .number(String(current)))
            return json(error, status: .conflict)
        case .failed(let reason):
            return json(OpenAIError.server(reason).body, status: .internalServerError)
        case .applied(let revision, let warnings):
            return json(.map([
                .init("appliedRevision", .number(String(revision))), .init("version", .string(version)),
                .init("warnings", .list(warnings.map(JSONValue.string))),
            ]))
        }
    }

    private func encoded(_ value: some Encodable) -> Response {
        do {
            let data = try JSONEncoder().encode(value)
            return Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
        } catch {
            return json(OpenAIError.server("cannot encode the answer: \(error)").body, status: .internalServerError)
        }
    }

    private func json(_ value: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(string: value.json(pretty: false))))
    }
}
