import AsyncHTTPClient
import Foundation
import Hummingbird
import LumenAPI
import LumenManifest
import LumenStore
import Logging
import NIOCore
import Synchronization
import NIOHTTP1
import HTTPTypes

extension Gateway {
    /// One upstream answering a stream, or the rest of it.
    struct Leg: Sendable {
        var model: ServedModel
        var upstream: Upstream
        var source: ChunkSource
        /// When the request to this upstream was sent, for its TTFT.
        var requestedAt: ContinuousClock.Instant

        init(model: ServedModel, upstream: Upstream, response: HTTPClientResponse, requestedAt: ContinuousClock.Instant) {
            self.model = model
            self.upstream = upstream
            source = ChunkSource(response.body)
            self.requestedAt = requestedAt
        }
    }

    enum LegEnd {
        case completed
        case clientGone
        case broken(LegFault)
        /// A prefetch reached the leg's first content; the rest is still to relay.
        case firstContent

        var isFirstContent: Bool {
            if case .firstContent = self { return true }
            return false
        }
    }

    /// Where a leg's events go: to the client, held back until the leg's first content (a
    /// hedged start, where the first upstream to produce a token wins), or nowhere (a shadow,
    /// whose answer is only measured).
    enum Output {
        case client(any ResponseBodyWriter)
        case held([ByteBuffer])
        case discarded

        /// Sends or holds one event.
        mutating func send(_ event: ByteBuffer) async throws(ClientGone) {
            switch self {
            case .client(var writer):
                try await Gateway.write(event, to: &writer)
                self = .client(writer)
            case .held(var events):
                events.append(event)
                self = .held(events)
            case .discarded:
                break
            }
        }

        var isHeld: Bool {
            if case .held = self { return true }
            return false
        }
    }

    /// A leg read up to its first content, and what it produced so far.
    struct Opened {
        var leg: Leg
        var relay: StreamRelay
        var events: [ByteBuffer]
        var end: LegEnd
    }

    /// What to do once a leg broke.
    enum Resumption {
        case leg(Leg)
        /// The answer was whole; only its ending was lost, and the relay wrote it.
        case closed
        case impossible(String)
    }

    /// Streams the upstream's SSE to the client event by event. Reading the upstream waits on
    /// writing to the client, so a slow client slows its upstream and buffers stay bounded; a client
    /// that hangs up cancels the upstream request at the next event. An upstream that fails, stalls
    /// or breaks its stream after the first byte is replaced by another that continues the same
    /// answer; the client sees one stream.
    func forwardStream(_ body: JSONValue, endpoint: Endpoint, plan: Plan, exchange: Exchange) async -> Response {
        var exchange = exchange
        let target = body["model"]?.stringValue ?? ""
        let first = await attempt(endpoint, candidates: plan.candidates, prefixKey: plan.prefixKey, maxAttempts: plan.failover.maxAttempts,
                                  requestID: exchange.requestID, queueDeadline: plan.queueDeadline) { _, upstream in
            Self.outgoing(body, to: upstream, stream: true)
        }
        startShadows(exchange.shadows, body: body, endpoint: endpoint, plan: plan)
        guard case .answered(let model, let upstream, let upstreamResponse) = first else {
            switch first {
            case .refused(let model, let upstream, let status, let errorBody):
                exchange.model = model
                exchange.upstream = upstream
                return refusedResponse(status, errorBody, exchange: &exchange)
            case .exhausted(let failures, let skipped):
                return exhaustedResponse(failures, skipped: skipped, exchange: &exchange, target: target)
            case .answered:
                preconditionFailure("handled above")
            }
        }
        let clientWantsUsage = body["stream_options"]?["include_usage"]?.boolValue ?? false
        var relay = StreamRelay(servedModel: model.name, clientWantsUsage: clientWantsUsage, maxEventBytes: configuration.maxEventBytes)
        relay.beginLeg()
        var opened = Opened(leg: Leg(model: model, upstream: upstream, response: upstreamResponse, requestedAt: exchange.started),
                            relay: relay, events: [], end: .firstContent)
        var tried: Set<String> = [upstream.id]
        if let hedgeAfter = hedgeDelay(plan, upstream) {
            opened = await hedgedStart(opened, after: hedgeAfter, body: body, endpoint: endpoint, plan: plan, tried: &tried,
                                       requestID: exchange.requestID)
        }
        exchange.model = opened.leg.model
        exchange.upstream = opened.leg.upstream
        exchange.hedged = opened.relay.hedged
        let started = exchange, start = opened, triedAtStart = tried
        var headers = headers(exchange, contentType: "text/event-stream")
        headers[.cacheControl] = "no-cache"
        let ending = StreamEnding { [self] in
            // The upstream read the prompt: it is billed even though nothing reached the client.
            var abandoned = started
            abandoned.promptTokens = started.promptEstimate
            finish(abandoned, outcome: .clientClosed)
        }
        return Response(status: .ok, headers: headers, body: ResponseBody { writer in
            ending.begin()
            var exchange = started
            var relay = start.relay
            var leg = start.leg
            var tried = triedAtStart
            // It holds back [DONE] until the ledger row is durable.
            var output = Output.client(LedgerHeldWriter(writer))
            // A hedged start read up to the first token: send that, then go on from where it stopped.
            var pending: LegEnd? = nil
            for event in start.events where pending == nil {
                do { try await output.send(event) } catch { pending = .clientGone }
            }
            if pending == nil, !(start.end.isFirstContent) { pending = start.end }
            var outcome = UsageRecord.Outcome.completed
            legs: while true {
                let end: LegEnd
                if let ended = pending {
                    end = ended
                    pending = nil
                } else {
                    end = await self.relay(leg, through: &relay, to: &output, stallTimeout: plan.failover.stallTimeout.duration)
                }
                switch end {
                case .completed, .firstContent:
                    break legs
                case .clientGone:
                    outcome = .clientClosed
                    break legs
                case .broken(let fault):
                    exchange.failovers.append("\(leg.upstream.id): \(fault)")
                    relay.abandoned.append(leg.upstream.id)
                    switch await self.resume(body, endpoint: endpoint, plan: plan, relay: &relay, tried: &tried, requestID: exchange.requestID) {
                    case .leg(let next):
                        leg = next
                        relay.beginLeg()
                        exchange.upstream = next.upstream
                        continue legs
                    case .closed:
                        for event in relay.closing() { try? await output.send(event) }
                        break legs
                    case .impossible(let reason):
                        outcome = .failed
                        exchange.status = 502
                        exchange.unrecoverable = true
                        try? await output.send(StreamRelay.errorEvent(
                            "the upstream \(leg.upstream.id) failed mid-stream (\(fault)) and no upstream could continue the answer: \(reason)"))
                        break legs
                    }
                }
            }
            exchange.ttft = relay.firstContentAt.map { $0 - exchange.started }
            // A stream cut off before the upstream's usage chunk is billed for its prompt as estimated,
            // once for every leg (each upstream read it), and for what was sent.
            exchange.promptTokens = relay.promptTokens ?? max(exchange.promptTokens, exchange.promptEstimate * max(1, relay.legs))
            exchange.completionTokens = relay.completionTokens
            exchange.cachedTokens = relay.cachedTokens ?? 0
            if !exchange.shadows.isEmpty {
                exchange.answerText = relay.text
                exchange.answerToolCalls = ShadowTicket.ToolCall.of(relay)
            }
            let receipt = self.finish(exchange, outcome: outcome)
            if case .client(let writer) = output {
                // The row is on disk before the stream's last bytes.
                _ = await receipt.durable()
                try? await writer.finish(nil)
            }
        })
    }

    /// Relays one leg until it ends, the client leaves, or the leg breaks: an error, a reset, a
    /// malformed or oversized event, an end without `[DONE]`, or no chunk within the stall timeout
    /// (the first-token timeout before the leg's first chunk).
    func relay(_ leg: Leg, through relay: inout StreamRelay, to output: inout Output,
                       stallTimeout: Duration) async -> LegEnd {
        health.started(leg.upstream.id)
        let end = await relayLeg(leg, through: &relay, to: &output, stallTimeout: stallTimeout)
        health.ended(leg.upstream.id)
        switch end {
        case .completed:
            health.succeeded(leg.upstream.id, ttft: relay.legFirstContentAt.map { $0 - leg.requestedAt }, interToken: relay.legInterToken)
        case .broken(let fault):
            // A hedge's loser is cancelled, not ill.
            if !Task.isCancelled { health.failed(leg.upstream.id, reason: "\(fault)", peers: leg.model.upstreams.map(\.id)) }
        case .clientGone, .firstContent:
            break
        }
        return end
    }

    /// Relays `leg`'s events to `output`; a held output stops at the leg's first content.
    private func relayLeg(_ leg: Leg, through relay: inout StreamRelay, to output: inout Output,
                          stallTimeout: Duration) async -> LegEnd {
        let source = leg.source
        // Between chunks: the route's stall timeout, or the upstream's idle timeout when shorter.
        let gap = min(stallTimeout, leg.upstream.idleTimeout)
        var wait = relay.legFirstContentAt == nil ? leg.upstream.firstTokenTimeout : gap
        while true {
            let chunk: ByteBuffer?
            do {
                chunk = try await source.next(within: wait)
            } catch is ChunkSource.Stalled {
                return .broken(.stalled(wait))
            } catch {
                return .broken(.transport(Self.describe(error)))
            }
            wait = gap
            do {
                guard let chunk else {
                    if let event = try relay.finishLeg() { try await output.send(event) }
                    return relay.sawDone ? .completed : .broken(.endedWithoutDone)
                }
                relay.append(chunk)
                while let event = try relay.next() {
                    try await output.send(event)
                }
                if output.isHeld && relay.legFirstContentAt != nil { return .firstContent }
            } catch let fault as LegFault {
                return .broken(fault)
            } catch {
                return .clientGone
            }
        }
    }

    /// When to send a second request if the first upstream has not produced a token: the route's
    /// `failover.hedgeAfter`, else the upstream's observed TTFT p95 once it has enough samples.
    private func hedgeDelay(_ plan: Plan, _ upstream: Upstream) -> Duration? {
        if let explicit = plan.failover.hedgeAfter { return explicit.duration }
        return health.ttftP95(upstream.id).map { .milliseconds(Int($0.rounded(.up))) }
    }

    /// Reads the first leg up to its first token; if none came within `delay`, also opens a second
    /// upstream. The first to produce a token wins and the other is cancelled, so the client is
    /// billed once. A racer that breaks before its first token gives way to the other.
    private func hedgedStart(_ first: Opened, after delay: Duration, body: JSONValue, endpoint: Endpoint, plan: Plan,
                             tried: inout Set<String>, requestID: String) async -> Opened {
        let excluded = tried
        let prefetch = { @Sendable (opened: Opened) async -> Opened in
            var opened = opened
            var output = Output.held([])
            opened.end = await self.relay(opened.leg, through: &opened.relay, to: &output, stallTimeout: plan.failover.stallTimeout.duration)
            if case .held(let events) = output { opened.events = events }
            return opened
        }
        let winner = await withTaskGroup(of: Opened?.self) { group -> Opened in
            group.addTask { await prefetch(first) }
            group.addTask {
                try? await Task.sleep(for: delay)
                if Task.isCancelled { return nil }
                let second = await self.attempt(endpoint, candidates: plan.candidates, excluding: excluded, inTurn: false, maxAttempts: 1,
                                                requestID: requestID) { _, upstream in Self.outgoing(body, to: upstream, stream: true) }
                guard case .answered(let model, let upstream, let response) = second else { return nil }
                var relay = first.relay
                relay.hedged = true
                return await prefetch(Opened(leg: Leg(model: model, upstream: upstream, response: response, requestedAt: .now),
                                             relay: relay, events: [], end: .firstContent))
            }
            var fallback: Opened?
            for await result in group {
                guard let result else { continue }
                if case .firstContent = result.end {
                    group.cancelAll()
                    return result
                }
                if case .completed = result.end {
                    group.cancelAll()
                    return result
                }
                // Broke before its first token: keep the first such result in case the other fails too.
                if fallback == nil || result.leg.upstream.id == first.leg.upstream.id { fallback = result }
            }
            return fallback ?? first
        }
        tried.insert(winner.leg.upstream.id)
        if winner.leg.upstream.id != first.leg.upstream.id { logger.debug("hedge won", metadata: ["upstream": "\(winner.leg.upstream.id)"]) }
        return winner
    }

    /// Finds an upstream to continue a broken stream: another replica of the model first, then the
    /// route's other candidates. It is sent the conversation plus the partial answer, continued
    /// natively or as a prefill as the upstream declares.
    private func resume(_ body: JSONValue, endpoint: Endpoint, plan: Plan, relay: inout StreamRelay,
                        tried: inout Set<String>, requestID: String) async -> Resumption {
        if relay.finishSent { return .closed }
        guard tried.count < plan.failover.maxAttempts else {
            return .impossible("\(tried.count) upstreams tried, the route's failover.maxAttempts")
        }
        let fresh = relay.contentChunks == 0 && relay.toolCalls.isEmpty
        if !fresh {
            guard plan.failover.midStream else { return .impossible("the route sets failover.midStream: false") }
            if let reason = Self.cannotContinue(body, endpoint: endpoint, relay: relay) { return .impossible(reason) }
            if Self.tokensLeft(body, after: relay.contentChunks).map({ $0 < 1 }) ?? false {
                relay.endAtLength()
                return .closed
            }
        }
        let partial = relay.text, toolCalls = relay.toolCalls, generated = relay.contentChunks, requestedAt = ContinuousClock.now
        let attempt = await attempt(endpoint, candidates: plan.candidates, excluding: tried, inTurn: false,
                                    maxAttempts: plan.failover.maxAttempts - tried.count, requestID: requestID) { _, upstream in
            let outgoing = Self.outgoing(body, to: upstream, stream: true)
            return fresh ? outgoing : Self.continuation(of: outgoing, partial: partial, toolCalls: toolCalls, generated: generated,
                                                        how: upstream.continuation)
        }
        switch attempt {
        case .answered(let model, let upstream, let response):
            tried.insert(upstream.id)
            return .leg(Leg(model: model, upstream: upstream, response: response, requestedAt: requestedAt))
        case .refused(_, let upstream, let status, _):
            tried.insert(upstream.id)
            return .impossible("\(upstream.id) refused the continuation with HTTP \(status.code)")
        case .exhausted(let failures, let skipped):
            for failure in failures { tried.insert(failure.upstream.id) }
            let reasons = failures.map { "\($0.upstream.id): \($0.message)" } + skipped
            if !reasons.isEmpty { return .impossible(reasons.joined(separator: "; ")) }
            return .impossible(toolCalls.isEmpty
                ? "no other upstream of the route can continue an answer (continuation: none, or none left)"
                : "the answer was in the middle of a tool call, and no other upstream of the route can continue one (continuation: native-tools)")
        }
    }

    /// Why an answer already under way cannot be continued elsewhere, if it cannot.
    static func cannotContinue(_ body: JSONValue, endpoint: Endpoint, relay: StreamRelay) -> String? {
        if endpoint != .chatCompletions { return "only chat completions can be continued on another upstream" }
        if (body["n"]?.intValue ?? 1) > 1 { return "the request asked for n > 1 choices" }
        if body["logprobs"]?.boolValue == true { return "the request asked for logprobs, which a continuation cannot reproduce" }
        return nil
    }

    /// Tokens the request still allows after `generated`, when it set a limit.
    static func tokensLeft(_ body: JSONValue, after generated: Int) -> Int? {
        (body["max_completion_tokens"]?.intValue ?? body["max_tokens"]?.intValue).map { $0 - generated }
    }

    /// `outgoing` turned into a request for the rest of the answer after `partial` and `toolCalls`;
    /// nil for an upstream that cannot continue them.
    static func continuation(of outgoing: JSONValue, partial: String, toolCalls: [StreamRelay.ToolCallSoFar], generated: Int,
                             how: Continuation) -> JSONValue? {
        var message: [JSONValue.Entry] = [.init("role", .string("assistant"))]
        if toolCalls.isEmpty {
            message.append(.init("content", .string(partial)))
        } else {
            guard how.continuesToolCalls else { return nil }
            message.append(.init("content", partial.isEmpty ? .null : .string(partial)))
            message.append(.init("tool_calls", .list(toolCalls.map(\.message))))
        }
        var messages = outgoing["messages"]?.arrayValue ?? []
        messages.append(.map(message))
        var body = outgoing.setting("messages", .list(messages))
        switch how {
        case .native, .nativeWithToolCalls:
            body = body.setting("continue_final_message", .bool(true)).setting("add_generation_prompt", .bool(false))
        case .prefill:
            break
        case .none:
            return nil
        }
        // Limits count new tokens: keep the answer's total where the client set it.
        for name in ["max_completion_tokens", "max_tokens"] {
            if let limit = body[name]?.intValue { body = body.setting(name, .number(String(max(1, limit - generated)))) }
        }
        return body
    }

    /// The client is no longer there to write to.
    struct ClientGone: Error {}

    static func write(_ event: ByteBuffer, to writer: inout any ResponseBodyWriter) async throws(ClientGone) {
        do {
            try await writer.write(event)
        } catch {
            throw ClientGone()
        }
    }
}

/// Ends a stream's request if its body never runs: a client that left before the response head
/// was written. Without it the request would keep its key's stream slot, its budget reservation and
/// its shadow pairs, and write no ledger row.
final class StreamEnding: Sendable {
    private let begun = Atomic<Bool>(false)
    private let abandoned: @Sendable () -> Void

    init(ifAbandoned abandoned: @escaping @Sendable () -> Void) {
        self.abandoned = abandoned
    }

    /// The body runs: it finishes the request itself.
    func begin() {
        begun.store(true, ordering: .relaxed)
    }

    deinit {
        if !begun.load(ordering: .relaxed) { abandoned() }
    }
}

/// How a leg of a stream broke.
enum LegFault: Error, CustomStringConvertible {
    case transport(String)
    case stalled(Duration)
    case endedWithoutDone
    case malformed
    case eventTooLarge(Int)
    case upstreamError(String)

    var description: String {
        switch self {
        case .transport(let message): message
        case .stalled(let wait): "no chunk within \(Int(wait.milliseconds)) ms"
        case .endedWithoutDone: "the stream ended without [DONE]"
        case .malformed: "an event that is not JSON"
        case .eventTooLarge(let limit): "an event larger than \(limit) bytes"
        case .upstreamError(let message): "an error event: \(message)"
        }
    }
}

/// An upstream body read one chunk at a time, each read bounded in time.
final class ChunkSource: @unchecked Sendable {
    struct Stalled: Error {}

    // Only one read runs at a time: `next` awaits the reading child before it returns.
    private var iterator: HTTPClientResponse.Body.AsyncIterator

    init(_ body: HTTPClientResponse.Body) {
        iterator = body.makeAsyncIterator()
    }

    /// The next chunk, nil at the end of the body, or `Stalled` when none comes within `limit`
    /// (the read is then cancelled, which cancels the upstream request).
    func next(within limit: Duration) async throws -> ByteBuffer? {
        try await withThrowingTaskGroup(of: ByteBuffer?.self) { group in
            group.addTask { try await self.iterator.next() }
            group.addTask {
                try await Task.sleep(for: limit)
                throw Stalled()
            }
            defer { group.cancelAll() }
            return try await group.next() ?? nil
        }
    }
}
