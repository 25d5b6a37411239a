public import AsyncHTTPClient
import Foundation
public import Hummingbird
public import LumenAPI
import LumenManifest
public import LumenRouting
public import LumenStore
public import Logging
import NIOCore
import NIOHTTP1
public import HTTPTypes

/// The public OpenAI-compatible API: authenticates, resolves the model or route, forwards to an
/// upstream and relays the answer (SSE with backpressure), recording every request in the ledger.
public final class Gateway: Sendable {
    let state: GatewayState
    let client: HTTPClient
    public let ledger: UsageLedger
    let limiter = KeyLimiter()
    let retryBudget = RetryBudget()
    /// Requests served now, for the `--max-in-flight` bound.
    let inFlight = InFlightCounter()
    /// Requests in flight to upstreams with a `maxConcurrency`.
    let upstreamSlots = UpstreamSlots()
    public let metrics = GatewayMetrics()
    /// Shadow tests' sampling, mirrored requests and their pairs.
    public let shadows: ShadowMirror
    let budgets: BudgetBook
    let health: HealthBoard
    let configuration: GatewayConfiguration
    let logger: Logger

    public init(state: GatewayState, client: HTTPClient, ledger: UsageLedger, health: HealthBoard = HealthBoard(),
                budgets: BudgetBook = BudgetBook(), shadowStore: AgentStore? = nil, configuration: GatewayConfiguration, logger: Logger) {
        self.state = state
        shadows = ShadowMirror(store: shadowStore, metrics: metrics, logger: logger)
        self.budgets = budgets
        self.client = client
        self.ledger = ledger
        self.health = health
        self.configuration = configuration
        self.logger = logger
    }

    /// Adds the public routes to `router`.
    public func register(on router: Router<BasicRequestContext>) {
        router.add(middleware: InFlightLimit(limit: configuration.maxInFlight, counter: inFlight))
        router.post("/v1/chat/completions") { request, _ in await self.generate(request, .chatCompletions) }
        router.post("/v1/completions") { request, _ in await self.generate(request, .completions) }
        router.post("/v1/embeddings") { request, _ in await self.generate(request, .embeddings) }
        router.get("/v1/models") { request, _ in self.models(request) }
        // Liveness for load balancers and peer agents: no key, no state.
        router.get("/health") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(string: #"{"status":"ok"}"#)))
        }
    }

    // MARK: Requests

    /// Everything known about one request, for its response headers, log line and ledger row.
    struct Exchange {
        var requestID: String
        /// The id the client sent, if any (a peer agent's is the calling agent's own id).
        var clientRequestID: String?
        let started = ContinuousClock.now
        let startedAt = Date()
        var key: APIKeyRecord?
        var route: String?
        /// The request's difficulty, where the route scored it.
        var score: Double?
        var model: ServedModel?
        var upstream: Upstream?
        var promptTokens = 0
        var completionTokens = 0
        var cachedTokens = 0
        var ttft: Duration?
        var status = 200
        /// Upstreams abandoned mid-stream, with why, in order.
        var failovers: [String] = []
        /// Whether a hedged second request produced the answer.
        var hedged = false
        /// What the request holds against its budgets until it ends.
        var reservation: BudgetBook.Reservation?
        /// What the request holds against its key's limits (a stream slot, worst-case tokens) until it ends.
        var keyLease: KeyLimiter.Lease?
        /// The prompt's estimated tokens: billed when a stream ends before the upstream reported usage.
        var promptEstimate = 0
        /// Whether a stream ended with an error event because no upstream could continue it.
        var unrecoverable = false
        /// Whether the answer is streamed (its TTFT is then a first token's, not the whole answer's).
        var streamed = false
        /// Shadow tests mirroring this request; they get its half of their pairs when it ends.
        var shadows: [ShadowTicket] = []
        /// Choice 0's answer, kept only while a shadow test needs it.
        var answerText = ""
        var answerToolCalls: [ShadowTicket.ToolCall] = []
        /// Sent by a peer agent, which keeps the ledger, limits and budgets for it.
        var peer = false
        /// The node that sent it, as its verified peer token names it (for the host's peer row).
        var peerNode: String?
        /// Models this request was passed over by for lack of room: their demand until it ends.
        var spills: [ReplicaPool] = []

        var elapsedMilliseconds: Double { (ContinuousClock.now - started).milliseconds }
    }

    private func generate(_ request: Request, _ endpoint: Endpoint) async -> Response {
        var request = request
        var exchange = Exchange(requestID: Self.requestID(request), clientRequestID: Self.clientRequestID(request))
        // In flight until `finish` writes its ledger row (for streams, at the last byte).
        retryBudget.requestStarted()
        let current = state.snapshot
        do {
            // Serving what the ledger cannot record would be serving unbilled.
            if let problem = ledger.refusal {
                throw OpenAIError(status: 503, message: "the usage ledger cannot be written: \(problem); check the disk at \(ledger.location)",
                                  type: "server_error", code: "ledger_unavailable", retryAfter: 5)
            }
            if let node = peerNode(request) {
                exchange.peer = true
                exchange.peerNode = node
                // The calling agent's id, so its row and this host's peer row can be matched.
                if let given = exchange.clientRequestID { exchange.requestID = given }
                return try await servePeer(&request, endpoint, exchange: exchange, state: current)
            }
            let key = try authenticate(request, current)
            exchange.key = key
            let body = try await readJSON(&request)
            guard let modelName = body["model"]?.stringValue, !modelName.isEmpty else {
                throw OpenAIError.invalidRequest("model is required and must be a string, e.g. \"lumen/auto\"", param: "model")
            }
            let stream = try Self.optionalBool(body, "stream") ?? false
            exchange.streamed = stream
            if stream && !endpoint.canStream { throw OpenAIError.invalidRequest("embeddings cannot be streamed", param: "stream") }
            try Self.checkCounts(body)
            let plan = try resolve(modelName, in: current, for: key, body: body, endpoint: endpoint, headers: request.headers)
            exchange.route = plan.route
            exchange.score = plan.score
            exchange.promptEstimate = plan.promptEstimate
            switch limiter.admit(key, stream: stream, worstCaseTokens: plan.worstCaseTokens) {
            case .success(let lease): exchange.keyLease = lease
            case .failure(let refusal): throw Self.error(for: refusal)
            }
            if !plan.budgets.isEmpty {
                do {
                    exchange.reservation = try budgets.reserve(plan.worstCase, against: plan.budgets)
                } catch {
                    throw OpenAIError.rateLimited(error.message, retryAfter: error.retryAfter, code: "budget_exceeded")
                }
            }
            let admitted = try await admit(plan, exchange: &exchange)
            exchange.shadows = shadowTickets(admitted, exchange, body: body, endpoint: endpoint, state: current)
            return await dispatch(body, endpoint: endpoint, plan: admitted, exchange: exchange, stream: stream)
        } catch {
            let failure = error as? OpenAIError ?? {
                // The detail is for the operator's log, not the client.
                logger.error("request failed", metadata: ["request_id": "\(exchange.requestID)", "error": "\(error)"])
                return OpenAIError.server("internal error in the agent; its log has the detail under request id \(exchange.requestID)")
            }()
            exchange.status = failure.status
            finish(exchange, outcome: .rejected)
            return errorResponse(failure, exchange)
        }
    }

    private func dispatch(_ body: JSONValue, endpoint: Endpoint, plan: Plan, exchange: Exchange, stream: Bool) async -> Response {
        if stream {
                return await forwardStream(body, endpoint: endpoint, plan: plan, exchange: exchange)
            }
        return await forward(body, endpoint: endpoint, plan: plan, exchange: exchange)
    }

    /// A request a peer agent passed on for a model this agent hosts: served by this agent's own
    /// replicas only (never passed on again), with admission control, and no ledger row here: the
    /// agent the client called records it, with its key, route, limits and budgets.
    private func servePeer(_ request: inout Request, _ endpoint: Endpoint, exchange: Exchange, state current: CompiledState) async throws(OpenAIError) -> Response {
        var exchange = exchange
        let body = try await readJSON(&request)
        // A peer may reach only models whose replicas this agent runs: never a provider, on this agent's key.
        guard let name = body["model"]?.stringValue, let model = current.models[name], model.pool != nil else {
            throw .notFound("this agent runs no replicas of the model a peer asked for; push the same snapshot to every agent", param: "model")
        }
        let stream = try Self.optionalBool(body, "stream") ?? false
        exchange.streamed = stream
        let chosen = pinned(to: model.localOnly, body: body, endpoint: endpoint)
        // The calling agent says how long the request may queue here (0 when it has other candidates).
        let asked = request.headers[HTTPField.Name(Self.peerQueueHeader)!].flatMap { Int($0) }.map { Duration.milliseconds(max(0, $0)) }
        var plan = Plan(route: nil, candidates: chosen.candidates, failover: RouteSpec.Failover(), score: nil, worstCase: 0, budgets: [],
                        prefixKey: chosen.prefixKey, queueDeadline: min(asked ?? configuration.queueTimeout, configuration.queueTimeout))
        if asked != nil { plan.queueDeadlineSource = "what the calling agent allows" }
        let admitted = try await admit(plan, exchange: &exchange)
        return await dispatch(body, endpoint: endpoint, plan: admitted, exchange: exchange, stream: stream)
    }

    static let peerQueueHeader = "x-lumen-peer-queue-ms"

    /// The calling node when the request carries a valid peer token for the node it names; nil otherwise.
    private func peerNode(_ request: Request) -> String? {
        guard let key = configuration.peerKey, let header = request.headers[.authorization], header.hasPrefix("Bearer " + PeerToken.scheme),
              let node = request.headers[HTTPField.Name(PeerToken.nodeHeader)!], ManifestName.isValid(node) else {
            return nil
        }
        return key.verify(String(header.dropFirst(7)), node: node) ? node : nil
    }

    /// The agent's own id for a request: the ledger's key, so a client cannot choose or collide with it.
    static func requestID(_ request: Request) -> String {
        var generator = SystemRandomNumberGenerator()
        return "req_" + String(UInt64.random(in: 0 ... .max, using: &generator), radix: 36)
    }

    /// The client's own `x-request-id`, when it is short printable ASCII: logged and echoed as
    /// `x-client-request-id`, never used as the ledger's id.
    static func clientRequestID(_ request: Request) -> String? {
        guard let given = request.headers[.xRequestID], !given.isEmpty, given.utf8.count <= 128,
              given.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) else { return nil }
        return given
    }

    private func authenticate(_ request: Request, _ state: CompiledState) throws(OpenAIError) -> APIKeyRecord {
        guard let header = request.headers[.authorization], header.lowercased().hasPrefix("bearer ") else {
            throw .unauthorized("missing API key: send it as Authorization: Bearer lmn_…; create one with lumenctl keys create NAME")
        }
        let secret = String(header.dropFirst(7)).trimmingCharacters(in: .whitespaces)
        let hash = APIKeySecret.hash(secret)
        // The table lookup is by hash; confirm it in constant time before trusting it.
        guard let key = state.keysByHash[hash], APIKeySecret.constantTimeEquals(key.hash, hash) else {
            throw .unauthorized("invalid API key \(APIKeySecret.displayPrefix(secret))…; check the key or create one with lumenctl keys create NAME")
        }
        if key.revokedAt != nil {
            throw .unauthorized("API key \(key.prefix)… (\(key.name)) was revoked; create a new one with lumenctl keys create NAME")
        }
        return key
    }

    /// Reads the whole body (up to the limit), so the connection is ready for the next request.
    private func readJSON(_ request: inout Request) async throws(OpenAIError) -> JSONValue {
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: configuration.maxRequestBytes)
        } catch {
            throw .tooLarge(limit: configuration.maxRequestBytes)
        }
        let body = try JSONValue.requestBody(buffer)
        guard body.entries != nil else { throw .invalidRequest("the request body must be a JSON object, got \(body.typeName)") }
        return body
    }

    /// The fields that multiply what a request may cost must be sane integers: they are counted
    /// against budgets and limits before the upstream sees the request.
    static func checkCounts(_ body: JSONValue) throws(OpenAIError) {
        for (field, range) in [("n", 1...128), ("best_of", 1...128), ("max_tokens", 0...100_000_000), ("max_completion_tokens", 0...100_000_000)] {
            guard let value = body[field], !value.isNull else { continue }
            guard let count = value.intValue, range.contains(count) else {
                throw .invalidRequest("\(field) must be an integer from \(range.lowerBound) to \(range.upperBound), got \(value.json(pretty: false).prefix(40))",
                                      param: field)
            }
        }
    }

    static func optionalBool(_ body: JSONValue, _ key: String) throws(OpenAIError) -> Bool? {
        guard let value = body[key], !value.isNull else { return nil }
        guard let flag = value.boolValue else { throw .invalidRequest("\(key) must be a boolean, got \(value.typeName)", param: key) }
        return flag
    }

    /// Where a request may go: its route (if any), the models to try in order, and how to fail over.
    struct Plan {
        var route: String?
        var candidates: [ServedModel]
        var failover: RouteSpec.Failover
        var score: Double?
        var worstCase: Decimal
        var worstCaseTokens = 0
        var promptEstimate = 0
        /// The budgets the request spends from.
        var budgets: [(BudgetBook.Scope, BudgetBook.Limits)]
        /// The prompt's first block, for prefix affinity.
        var prefixKey: UInt64?
        /// Longest the request may wait for room on a model's replicas, and where that comes from.
        var queueDeadline: Duration
        var queueDeadlineSource = "the agent's --queue-timeout"
    }

    /// The plan for `name`: `lumen/<route>` or a model (which fails over with the defaults).
    private func resolve(_ name: String, in state: CompiledState, for key: APIKeyRecord, body: JSONValue,
                         endpoint: Endpoint, headers: HTTPFields) throws(OpenAIError) -> Plan {
        if name.hasPrefix("lumen/") {
            let routeName = String(name.dropFirst(6))
            guard let route = state.routes[routeName] else {
                throw .notFound("the route `\(name)` does not exist; GET /v1/models lists the routes and models you can use", param: "model")
            }
            try authorize(key, routeName)
            let sticky = route.stickyBy.flatMap { name in
                name == "user" ? body["user"]?.stringValue : HTTPField.Name(name).flatMap { headers[$0] }
            }
            let chosen = try select(route, models: route.candidates.compactMap { state.models[$0] }, body: body, endpoint: endpoint,
                                    sticky: sticky)
            let limits = BudgetBook.Limits(daily: route.budget?.daily?.amount, monthly: route.budget?.monthly?.amount)
            var budgets = Self.budgets(of: key)
            if limits != BudgetBook.Limits() { budgets.append((.route(routeName), limits)) }
            var plan = Plan(route: routeName, candidates: chosen.candidates, failover: route.failover, score: chosen.score,
                            worstCase: chosen.worstCase, worstCaseTokens: chosen.worstCaseTokens, promptEstimate: chosen.promptEstimate,
                            budgets: budgets, prefixKey: chosen.prefixKey,
                            queueDeadline: route.slo?.ttftP95?.duration ?? configuration.queueTimeout)
            if route.slo?.ttftP95 != nil { plan.queueDeadlineSource = "route \(routeName)'s slo.ttftP95" }
            return plan
        }
        guard let model = state.models[name] else {
            throw .notFound("the model `\(name)` does not exist; GET /v1/models lists the routes and models you can use", param: "model")
        }
        try authorize(key, name)
        // A pinned model has no route budget, but the key's budget holds.
        let chosen = pinned(to: model, body: body, endpoint: endpoint)
        return Plan(route: nil, candidates: [model], failover: RouteSpec.Failover(), score: nil,
                    worstCase: chosen.worstCase, worstCaseTokens: chosen.worstCaseTokens, promptEstimate: chosen.promptEstimate,
                    budgets: Self.budgets(of: key), prefixKey: chosen.prefixKey, queueDeadline: configuration.queueTimeout)
    }

    /// The key's own budget, if it has one.
    static func budgets(of key: APIKeyRecord) -> [(BudgetBook.Scope, BudgetBook.Limits)] {
        guard key.dailyBudget != nil || key.monthlyBudget != nil else { return [] }
        return [(.key(key.name), BudgetBook.Limits(daily: key.dailyBudget?.amount, monthly: key.monthlyBudget?.amount))]
    }

    private func authorize(_ key: APIKeyRecord, _ name: String) throws(OpenAIError) {
        guard let allowed = key.routes, !allowed.contains(name) else { return }
        throw .forbidden("API key \(key.prefix)… (\(key.name)) may not use `\(name)`; it may use: \(allowed.joined(separator: ", "))")
    }

    private static func error(for refusal: KeyLimiter.Refusal) -> OpenAIError {
        switch refusal {
        case .requestsPerMinute(let limit, let retryAfter):
            .rateLimited("this API key allows \(limit) requests per minute; retry after \(retryAfter) s", retryAfter: retryAfter)
        case .tokensPerMinute(let limit, let retryAfter):
            .rateLimited("this API key allows \(limit) tokens per minute, counting the worst case of requests still running; "
                         + "retry after \(retryAfter) s, or set a lower max_tokens", retryAfter: retryAfter)
        case .tokensOverLimit(let limit, let worstCase):
            .invalidRequest("this request may use up to \(worstCase) tokens (its prompt plus max_tokens for every choice), more than "
                            + "this API key's \(limit) tokens per minute; set a lower max_tokens or n, or shorten the prompt",
                            param: "max_tokens", code: "tokens_per_minute_exceeded")
        case .streams(let limit):
            .rateLimited("this API key allows \(limit) concurrent streams; wait for one to finish", retryAfter: 1)
        }
    }

    // MARK: Models

    private func models(_ request: Request) -> Response {
        var exchange = Exchange(requestID: Self.requestID(request))
        let current = state.snapshot
        let key: APIKeyRecord
        do {
            key = try authenticate(request, current)
        } catch {
            return errorResponse(error, exchange)
        }
        exchange.key = key
        let allowed = { (name: String) in key.routes?.contains(name) ?? true }
        let entry = { (id: String, owner: String) -> JSONValue in
            .map([.init("id", .string(id)), .init("object", .string("model")), .init("created", .number("0")),
                  .init("owned_by", .string(owner))])
        }
        var data = current.routes.keys.sorted().filter(allowed).map { entry("lumen/" + $0, "lumen") }
        data += current.models.keys.sorted().filter(allowed).map { name in
            entry(name, current.models[name]?.spec.provider ?? "self-hosted")
        }
        return jsonResponse(.map([.init("object", .string("list")), .init("data", .list(data))]), exchange)
    }

    // MARK: Responses

    func jsonResponse(_ value: JSONValue, _ exchange: Exchange, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: headers(exchange, contentType: "application/json"),
                 body: ResponseBody(byteBuffer: ByteBuffer(string: value.json(pretty: false))))
    }

    func errorResponse(_ error: OpenAIError, _ exchange: Exchange) -> Response {
        var response = jsonResponse(error.body, exchange, status: HTTPResponse.Status(code: error.status))
        if let retryAfter = error.retryAfter { response.headers[.retryAfter] = String(retryAfter) }
        // An oversized body may not have been read to its end: the connection cannot be reused.
        if error.status == 413 { response.headers[.connection] = "close" }
        return response
    }

    func headers(_ exchange: Exchange, contentType: String) -> HTTPFields {
        var fields: HTTPFields = [.contentType: contentType, .xRequestID: exchange.requestID]
        if let given = exchange.clientRequestID { fields[.xClientRequestID] = given }
        if let route = exchange.route { fields[.xLumenRoute] = route }
        if let model = exchange.model?.name { fields[.xLumenModel] = model }
        if let score = exchange.score { fields[.xLumenScore] = String(format: "%.3f", score) }
        return fields
    }

    /// Writes the ledger row and the request's log line; the request is no longer in flight. An
    /// answer's end awaits the receipt, so that its row is durable before the client has the answer.
    @discardableResult
    func finish(_ exchange: Exchange, outcome: UsageRecord.Outcome) -> UsageLedger.Receipt {
        retryBudget.requestEnded()
        for pool in exchange.spills { pool.spillEnded() }
        let cost = exchange.model.map {
            $0.spec.pricing.cost(prompt: exchange.promptTokens, completion: exchange.completionTokens, cached: exchange.cachedTokens)
        } ?? 0
        // One reading of the clock, so the ledger, the metrics and shadow pairs agree.
        let milliseconds = exchange.elapsedMilliseconds
        let duration = milliseconds / 1000
        // A whole (unstreamed) answer has no first token: its wait is the duration, not a TTFT.
        let firstToken = exchange.streamed ? exchange.ttft : nil
        let ttft = firstToken.map { $0.milliseconds / 1000 }
        metrics.record(GatewayMetrics.Finished(
            route: exchange.route ?? "", model: exchange.model?.name ?? "", status: exchange.status, outcome: outcome,
            ttftSeconds: ttft,
            perTokenSeconds: ttft.flatMap { exchange.completionTokens > 1
                ? (duration - $0) / Double(exchange.completionTokens - 1) : nil },
            durationSeconds: duration, inputTokens: exchange.promptTokens, outputTokens: exchange.completionTokens,
            cachedTokens: exchange.cachedTokens, cost: cost, failovers: exchange.failovers.count, hedged: exchange.hedged,
            unrecoverable: exchange.unrecoverable))
        exchange.keyLease?.settle(usedTokens: exchange.promptTokens + exchange.completionTokens)
        if let reservation = exchange.reservation { budgets.settle(reservation, cost: cost) }
        if !exchange.shadows.isEmpty {
            let half = primaryHalf(exchange, outcome: outcome, cost: cost, ttft: firstToken, durationMilliseconds: milliseconds)
            for ticket in exchange.shadows { ticket.primaryEnded(half) }
        }
        // A peer's request is recorded here too, as a peer row: the calling agent's client row bills it.
        // Refusals cost nothing; while the ledger is failing they would only fill its memory.
        let receipt = outcome == .rejected && ledger.refusal != nil ? UsageLedger.Receipt(durable: false) : ledger.append(UsageRecord(
            requestID: exchange.requestID, at: exchange.startedAt.ISO8601Format(), keyName: exchange.key?.name,
            route: exchange.route, model: exchange.model?.name, upstream: exchange.upstream?.id,
            promptTokens: exchange.promptTokens, completionTokens: exchange.completionTokens, cachedTokens: exchange.cachedTokens,
            cost: "\(cost)", ttftMilliseconds: firstToken?.milliseconds, durationMilliseconds: milliseconds,
            status: exchange.status, outcome: outcome, failovers: exchange.failovers.count, origin: exchange.peer ? .peer : .client))
        logger.info("request", metadata: [
            "peer": "\(exchange.peer)", "peer_node": "\(exchange.peerNode ?? "-")",
            "request_id": "\(exchange.requestID)", "client_request_id": "\(exchange.clientRequestID ?? "-")", "status": "\(exchange.status)", "outcome": "\(outcome.rawValue)",
            "route": "\(exchange.route ?? "-")", "model": "\(exchange.model?.name ?? "-")",
            "upstream": "\(exchange.upstream?.id ?? "-")", "tokens_in": "\(exchange.promptTokens)",
            "tokens_out": "\(exchange.completionTokens)", "ms": "\(Int(milliseconds))",
            "failovers": "\(exchange.failovers.isEmpty ? "-" : exchange.failovers.joined(separator: "; "))",
        ])
        return receipt
    }

    /// The agent's `/metrics` page: the gateway's counts, upstream state and load, and what each
    /// route's budgets have left.
    public func metricsText() -> String {
        let current = state.snapshot
        var remaining: [(route: String, period: String, remaining: Decimal)] = []
        for (name, route) in current.routes.sorted(by: { $0.key < $1.key }) {
            guard let budget = route.budget, budget.daily != nil || budget.monthly != nil else { continue }
            let spent = budgets.usage(.route(name))
            if let daily = budget.daily?.amount { remaining.append((name, "daily", max(0, daily - spent.day))) }
            if let monthly = budget.monthly?.amount { remaining.append((name, "monthly", max(0, monthly - spent.month))) }
        }
        let waiting = current.models.values.compactMap { model in model.pool.map { (model.name, $0.demand.waiting) } }.sorted { $0.0 < $1.0 }
        return metrics.prometheusText(upstreams: health.reports(), inFlight: retryBudget.requestsInFlight, budgets: remaining, waiting: waiting)
    }
}

extension HTTPField.Name {
    static let xRequestID = HTTPField.Name("x-request-id")!
    static let xClientRequestID = HTTPField.Name("x-client-request-id")!
    static let xLumenRoute = HTTPField.Name("x-lumen-route")!
    static let xLumenModel = HTTPField.Name("x-lumen-model")!
    static let xLumenScore = HTTPField.Name("x-lumen-score")!
    static let xShouldRetry = HTTPField.Name("x-should-retry")!
}

extension Duration {
    var milliseconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) * 1000 + Double(attoseconds) / 1e15
    }
}
