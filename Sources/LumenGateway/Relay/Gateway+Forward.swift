import AsyncHTTPClient
import Foundation
import Hummingbird
import LumenAPI
import LumenManifest
import LumenStore
import Logging
import NIOCore
import NIOHTTP1
import HTTPTypes

extension Gateway {
    /// What went wrong with one upstream before it sent a byte of its answer.
    struct UpstreamFailure {
        var upstream: Upstream
        var message: String
        /// Seconds the upstream asked to wait (`retry-after` on a 429 or 503).
        var retryAfter: Int?
        var rateLimited = false
        /// A 503 with `retry-after`: full or still starting (a peer agent's queue), not ill.
        var busy = false
        /// The upstream was never reached (connection refused, reset or timed out).
        var unreachable = false
    }

    enum Attempt {
        case answered(ServedModel, Upstream, HTTPClientResponse)
        /// The upstream refused the request itself (a 4xx other than 429): the client's to see.
        case refused(ServedModel, Upstream, HTTPResponseStatus, ByteBuffer)
        case exhausted([UpstreamFailure], skipped: [String])
    }

    /// Tries the candidates' upstreams until one answers, skipping `excluded` upstreams and those
    /// `body` gives nothing to send. A connection failure, 429 or 5xx moves on to the next; nothing
    /// has reached the client yet, so moving on is invisible. When a whole pass fails, another
    /// pass follows after a jittered, growing backoff that honours `retry-after`, while the
    /// request's retry deadline and `maxAttempts` allow. Every try after the first spends from the
    /// retry budget. New requests take each model's replicas in turn; a continuation
    /// (`inTurn: false`) takes them in listed order, so it does not move the rotation.
    /// A peer agent may queue the request for `queueDeadline` only when its model is the last
    /// candidate; otherwise it answers at once when it has no room, so the next candidate is tried.
    func attempt(_ endpoint: Endpoint, candidates: [ServedModel], excluding excluded: Set<String> = [], inTurn: Bool = true,
                 prefixKey: UInt64? = nil, maxAttempts: Int, requestID: String, queueDeadline: Duration = .zero,
                 body: (ServedModel, Upstream) -> JSONValue?) async -> Attempt {
        var failures: [UpstreamFailure] = []
        var skipped: [String] = []
        var tries = 0
        let started = ContinuousClock.now
        for pass in 0... {
            failures.removeAll()
            skipped.removeAll()
            for model in candidates {
                if let reason = model.unavailableReason {
                    skipped.append(reason)
                    continue
                }
                let peers = model.upstreams.map(\.id)
                for upstream in health.order(inTurn && pass == 0 ? replicasInTurn(model, prefixKey: prefixKey) : model.upstreams, model: model.name) {
                    guard !excluded.contains(upstream.id), let outgoing = body(model, upstream) else { continue }
                    // A Provider's maxConcurrency: a full one is passed over like one that asked to wait.
                    let slot: UpstreamSlots.Slot?
                    switch upstreamSlots.take(upstream) {
                    case .success(let taken): slot = taken
                    case .failure(let full):
                        failures.append(UpstreamFailure(upstream: upstream, message: "at its maxConcurrency (\(full.limit) requests at once)",
                                                        retryAfter: 1, rateLimited: true))
                        continue
                    }
                    guard tries < maxAttempts else { return .exhausted(failures, skipped: skipped) }
                    // Moving on from an upstream that could not be reached, or that declined with a 429,
                    // adds no load anywhere: the request does its work once, elsewhere. A retry after a
                    // 5xx (work done and lost) or a second pass does, and spends from the budget. A 429
                    // replica answers at once, so load-aware choice can send it a burst before its
                    // first 429 moves it behind the others; those requests must not drain the budget.
                    let retry = tries > 0 && (pass > 0 || failures.last.map { !$0.unreachable && !$0.rateLimited && !$0.busy } ?? false)
                    if retry && !retryBudget.spend() {
                        skipped.append("the agent's retry budget is spent (retries are capped at a share of requests in flight)")
                        return .exhausted(failures, skipped: skipped)
                    }
                    tries += 1
                    // In flight from the moment it is sent: a whole answer's head comes only once it is generated.
                    health.started(upstream.id)
                    let result = await send(outgoing, to: upstream, endpoint: endpoint, requestID: requestID,
                                            peerQueue: model.name == candidates.last?.name ? queueDeadline : .zero)
                    health.ended(upstream.id)
                    if retry { retryBudget.retryEnded() }
                    switch result {
                    case .success(var response):
                        let code = Int(response.status.code)
                        if (200..<300).contains(code) {
                            // The slot is held until the body is read or dropped; a whole answer's body
                            // may not pause longer than the upstream's idle timeout (a stream's relay bounds its own).
                            let streamed = outgoing["stream"]?.boolValue ?? false
                            response.body = .stream(UpstreamBody(base: response.body, slot: slot, readGap: streamed ? nil : upstream.idleTimeout))
                            return .answered(model, upstream, response)
                        }
                        withExtendedLifetime(slot) {}
                        let errorBody = (try? await response.body.collect(upTo: 64 * 1024)) ?? ByteBuffer()
                        guard code == 429 || code >= 500 else { return .refused(model, upstream, response.status, errorBody) }
                        let detail = (try? JSONValue(json: String(buffer: errorBody)))?["error"]?["message"]?.stringValue
                            ?? String(buffer: errorBody).prefix(200).description
                        let retryAfter = response.headers.first(name: "retry-after").flatMap { Int($0) }
                        // A 429 is pressure, not ill health: the upstream goes behind the others for a
                        // while (so load-aware choice does not keep picking it), with no ejection counted.
                        // So is a 503 that says when to come back: a peer agent whose replicas are full or starting.
                        let busy = code == 503 && retryAfter != nil
                            && (upstream.id.hasPrefix(Upstream.peerPrefix) || upstream.id.hasPrefix(Upstream.replicaPrefix))
                        if code >= 500 && !busy { health.failed(upstream.id, reason: "HTTP \(code): \(detail)", peers: peers) }
                        if code == 429 || busy {
                            health.pressured(upstream.id, retryAfter: .seconds(max(1, retryAfter ?? 1)), reason: "HTTP \(code): \(detail)")
                        }
                        failures.append(UpstreamFailure(upstream: upstream, message: "HTTP \(code): \(detail)",
                                                        retryAfter: retryAfter, rateLimited: code == 429, busy: busy))
                    case .failure(let message):
                        health.failed(upstream.id, reason: message, peers: peers)
                        failures.append(UpstreamFailure(upstream: upstream, message: message, unreachable: true))
                    }
                }
            }
            guard !failures.isEmpty, tries < maxAttempts else { break }
            // Back off before the next pass: 50 ms, 100 ms, 200 ms… or what the upstreams asked, jittered.
            let asked = failures.compactMap(\.retryAfter).max().map { Double($0) } ?? 0
            let wait = max(asked, 0.05 * pow(2, Double(pass))) * Double.random(in: 0.5...1.5)
            guard (ContinuousClock.now - started).seconds + wait < configuration.retryDeadline.seconds else { break }
            try? await Task.sleep(for: .milliseconds(Int(wait * 1000)))
        }
        return .exhausted(failures, skipped: skipped)
    }

    private enum Sent {
        case success(HTTPClientResponse)
        case failure(String)
    }

    private func send(_ outgoing: JSONValue, to upstream: Upstream, endpoint: Endpoint, requestID: String, peerQueue: Duration) async -> Sent {
        var request = upstream.request(Self.join(upstream.baseURL, endpoint.rawValue), method: .POST, body: outgoing)
        request.headers.add(name: "x-request-id", value: requestID)
        if upstream.id.hasPrefix(Upstream.peerPrefix) {
            request.headers.add(name: Self.peerQueueHeader, value: String(Int(peerQueue.milliseconds)))
        }
        // A Provider's timeouts.connect needs a client of its own (AsyncHTTPClient sets it per client).
        let client = upstream.connectTimeout.map(UpstreamClients.client(connectTimeout:)) ?? self.client
        do {
            return .success(try await client.execute(request, timeout: .nanoseconds(Int64(upstream.firstTokenTimeout.milliseconds * 1_000_000))))
        } catch {
            logger.warning("upstream request failed", metadata: ["upstream": "\(upstream.id)", "request_id": "\(requestID)", "error": "\(error)"])
            return .failure(Self.describe(error))
        }
    }

    /// The client's body as `upstream` gets it: its own model name and, for streams, usage always
    /// asked for so the ledger is exact (the relay drops it if the client did not ask).
    static func outgoing(_ body: JSONValue, to upstream: Upstream, stream: Bool) -> JSONValue {
        var outgoing = body.setting("model", .string(upstream.upstreamModel))
        if stream {
            let options = (body["stream_options"] ?? .map([])).setting("include_usage", .bool(true))
            outgoing = outgoing.setting("stream_options", options)
        }
        return outgoing
    }

    public static func join(_ base: String, _ path: String) -> String {
        base.hasSuffix("/") ? String(base.dropLast()) + path : base + path
    }

    /// A short cause for messages a client (or `lumenctl health`) reads, never a library's own text:
    /// TLS and socket errors carry build paths and type dumps. The agent's log has the whole error.
    public static func describe(_ error: any Error) -> String {
        if let error = error as? UpstreamBody.Idle { return error.description }
        if let error = error as? JSONValue.JSONSyntaxError { return "not valid JSON (\(error))" }
        if let error = error as? HTTPClientError {
            switch error {
            case .connectTimeout: return "connection timed out"
            case .deadlineExceeded, .readTimeout: return "no answer within the first-token timeout"
            case .remoteConnectionClosed: return "the upstream closed the connection"
            default: break
            }
        }
        let text = String(reflecting: error).lowercased()
        if text.contains("connectionrefused") || text.contains("connection refused") { return "connection refused" }
        if ["ssl", "tls", "certificate", "handshake"].contains(where: text.contains) {
            return "the TLS handshake failed; check that the address is https and its certificate is valid"
        }
        if ["resolve", "nxdomain", "getaddrinfo", "unknown host", "name or service"].contains(where: text.contains) {
            return "the host name could not be resolved; check the address"
        }
        if text.contains("reset") { return "the connection was reset" }
        if text.contains("timed out") || text.contains("timeout") { return "timed out" }
        if ["toomanybytes", "toolarge", "too large", "too big"].contains(where: text.contains) { return "the answer is larger than the agent accepts" }
        return "the connection to the upstream failed (the agent's log has the detail)"
    }

    /// The error a client gets when no upstream answered: 429 with `retry-after` when every upstream
    /// only asked to wait, else 502, and no point retrying Lumen.
    func exhaustedResponse(_ failures: [UpstreamFailure], skipped: [String], exchange: inout Exchange, target: String) -> Response {
        var reasons = failures.map { "\($0.upstream.id): \($0.message)" }
        reasons += skipped
        if !failures.isEmpty && failures.allSatisfy({ $0.busy || $0.rateLimited }) && failures.contains(where: \.busy) {
            // Replicas that are full or still starting: come back shortly, not a broken upstream.
            let retryAfter = failures.compactMap(\.retryAfter).min() ?? 1
            let error = OpenAIError(status: 503, message: "every replica of `\(target)` is full or still starting; retry after \(retryAfter) s: "
                                    + reasons.joined(separator: "; "), type: "server_error", code: "replicas_busy", retryAfter: retryAfter)
            exchange.status = 503
            finish(exchange, outcome: .failed)
            return errorResponse(error, exchange)
        }
        if !failures.isEmpty && failures.allSatisfy(\.rateLimited) {
            let retryAfter = failures.compactMap(\.retryAfter).min() ?? 1
            let error = OpenAIError.rateLimited("every upstream of `\(target)` is rate-limited; retry after \(retryAfter) s: "
                                                + reasons.joined(separator: "; "), retryAfter: retryAfter)
            exchange.status = 429
            finish(exchange, outcome: .failed)
            return errorResponse(error, exchange)
        }
        let selfHosted = state.snapshot.models[target]?.spec.deployment?.engine != nil
        let message = reasons.isEmpty
            ? (selfHosted ? "no replica of `\(target)` could take the request; lumenctl get replicas shows its replicas and why"
                          : "no upstream serves `\(target)`; give its model a provider or deployment endpoints")
            : "no upstream could serve `\(target)`: " + reasons.joined(separator: "; ")
        let error = OpenAIError(status: 502, message: message, type: "server_error", code: "upstream_unavailable")
        exchange.status = 502
        finish(exchange, outcome: .failed)
        var response = errorResponse(error, exchange)
        response.headers[.xShouldRetry] = "false"
        return response
    }

    func refusedResponse(_ status: HTTPResponseStatus, _ body: ByteBuffer, exchange: inout Exchange) -> Response {
        exchange.status = Int(status.code)
        finish(exchange, outcome: .failed)
        let value = (try? JSONValue(json: String(buffer: body))).flatMap { $0["error"] != nil ? $0 : nil }
            ?? OpenAIError(status: Int(status.code), message: "the upstream refused the request: \(String(buffer: body).prefix(300))",
                           type: "invalid_request_error").body
        return jsonResponse(value, exchange, status: HTTPResponse.Status(code: Int(status.code)))
    }

    // MARK: Whole responses

    /// Forwards a request whose answer comes whole. An answer that breaks off or is unreadable
    /// has reached nobody yet, so the request is sent to the next upstream (up to the route's
    /// failover.maxAttempts).
    func forward(_ body: JSONValue, endpoint: Endpoint, plan: Plan, exchange: Exchange) async -> Response {
        var exchange = exchange
        let target = body["model"]?.stringValue ?? ""
        var tried: Set<String> = []
        /// Prompts of attempts that answered 2xx but whose answers were lost (too large, unreadable, cut).
        var lostPrompts = 0
        while true {
            let answer = await attempt(endpoint, candidates: plan.candidates, excluding: tried, inTurn: tried.isEmpty,
                                       prefixKey: plan.prefixKey, maxAttempts: plan.failover.maxAttempts - tried.count, requestID: exchange.requestID,
                                       queueDeadline: plan.queueDeadline) { _, upstream in
                Self.outgoing(body, to: upstream, stream: false)
            }
            if tried.isEmpty { startShadows(exchange.shadows, body: body, endpoint: endpoint, plan: plan) }
            switch answer {
            case .exhausted(let failures, let skipped):
                return exhaustedResponse(failures, skipped: skipped, exchange: &exchange, target: target)
            case .refused(let model, let upstream, let status, let errorBody):
                exchange.model = model
                exchange.upstream = upstream
                return refusedResponse(status, errorBody, exchange: &exchange)
            case .answered(let model, let upstream, let response):
                exchange.model = model
                exchange.upstream = upstream
                health.started(upstream.id)
                defer { health.ended(upstream.id) }
                do {
                    let buffer = try await response.body.collect(upTo: configuration.maxResponseBytes)
                    exchange.ttft = ContinuousClock.now - exchange.started
                    health.succeeded(upstream.id, ttft: exchange.ttft)
                    var answer = try JSONValue(buffer: buffer)
                    answer = answer.setting("model", .string(model.name))
                    readUsage(answer["usage"], into: &exchange)
                    exchange.promptTokens += lostPrompts
                    if !exchange.shadows.isEmpty { (exchange.answerText, exchange.answerToolCalls) = Self.answerParts(answer) }
                    // The row is on disk before the answer is returned.
                    _ = await finish(exchange, outcome: .completed).durable()
                    return jsonResponse(answer, exchange)
                } catch {
                    let reason = "the upstream \(upstream.id) sent an unreadable answer: \(Self.describe(error))"
                    health.failed(upstream.id, reason: reason, peers: model.upstreams.map(\.id))
                    exchange.failovers.append(reason)
                    // The upstream read the prompt before its answer was lost: billed, as estimated.
                    lostPrompts += exchange.promptEstimate
                    tried.insert(upstream.id)
                    if tried.count < plan.failover.maxAttempts { continue }
                    exchange.status = 502
                    exchange.promptTokens = lostPrompts
                    finish(exchange, outcome: .failed)
                    var response = errorResponse(OpenAIError.server(reason, status: 502), exchange)
                    response.headers[.xShouldRetry] = "false"
                    return response
                }
            }
        }
    }

    func readUsage(_ usage: JSONValue?, into exchange: inout Exchange) {
        guard let usage, !usage.isNull else { return }
        exchange.promptTokens = usage["prompt_tokens"]?.intValue ?? exchange.promptTokens
        exchange.completionTokens = usage["completion_tokens"]?.intValue ?? exchange.completionTokens
        exchange.cachedTokens = usage["prompt_tokens_details"]?["cached_tokens"]?.intValue ?? exchange.cachedTokens
    }
}
