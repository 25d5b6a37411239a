import AsyncHTTPClient
import Foundation
import Hummingbird
import LumenAPI
import LumenStore
import NIOCore
import HTTPTypes

extension Gateway {
    /// Streams the upstream's SSE to the client event by event. Reading the upstream waits on
    /// writing to the client, so a slow client slows its upstream and buffers stay bounded; a client
    /// that hangs up cancels the upstream request at the next event.
    func forwardStream(_ body: JSONValue, endpoint: Endpoint, candidates: [ServedModel], exchange: Exchange) async -> Response {
        var exchange = exchange
        let target = body["model"]?.stringValue ?? ""
        let key = exchange.key
        let attempt = await attempt(body, endpoint: endpoint, candidates: candidates, stream: true, requestID: exchange.requestID)
        guard case .answered(let model, let upstream, let upstreamResponse) = attempt else {
            if let key { limiter.releaseStream(key) }
            switch attempt {
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
        exchange.model = model
        exchange.upstream = upstream
        let clientWantsUsage = body["stream_options"]?["include_usage"]?.boolValue ?? false
        let started = exchange
        var headers = headers(exchange, contentType: "text/event-stream")
        headers[.cacheControl] = "no-cache"
        return Response(status: .ok, headers: headers, body: ResponseBody { writer in
            var exchange = started
            var relay = StreamRelay(servedModel: model.name, clientWantsUsage: clientWantsUsage, maxEventBytes: self.configuration.maxEventBytes)
            var outcome = UsageRecord.Outcome.completed
            // A client that has gone is noticed when a write to it fails; leaving the loop drops the
            // upstream body, which cancels the upstream request. The connection stays reusable.
            do {
                for try await chunk in upstreamResponse.body {
                    relay.append(chunk)
                    while let event = try relay.next() {
                        if exchange.ttft == nil && relay.sentContent { exchange.ttft = ContinuousClock.now - exchange.started }
                        try await Self.write(event, to: &writer)
                    }
                }
                if let closing = relay.finish() {
                    outcome = .failed
                    try await Self.write(closing, to: &writer)
                }
                try await writer.finish(nil)
            } catch is ClientGone {
                outcome = .clientClosed
            } catch let error as SSEParser.ParseError {
                outcome = .failed
                try? await writer.write(StreamRelay.errorEvent("the upstream \(upstream.id) sent an event larger than \(self.configuration.maxEventBytes) bytes: \(error)"))
                try? await writer.finish(nil)
            } catch {
                // The upstream failed mid-stream: tell the client explicitly.
                outcome = relay.sawDone ? .completed : .failed
                if !relay.sawDone {
                    try? await writer.write(StreamRelay.errorEvent("the upstream \(upstream.id) failed mid-stream: \(Self.describe(error))"))
                    try? await writer.finish(nil)
                }
            }
            if outcome == .failed { exchange.status = 502 }
            exchange.promptTokens = relay.promptTokens ?? exchange.promptTokens
            exchange.completionTokens = relay.completionTokens ?? relay.contentChunks
            exchange.cachedTokens = relay.cachedTokens ?? 0
            if let key { self.limiter.releaseStream(key) }
            self.finish(exchange, outcome: outcome)
        })
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

/// Turns upstream SSE bytes into the events the client gets: `model` names the served model,
/// usage is read for the ledger (and dropped if the client did not ask for it), and a stream that
/// ends without `[DONE]` ends with an explicit error event instead.
struct StreamRelay {
    let servedModel: String
    let clientWantsUsage: Bool
    private var parser: SSEParser
    private(set) var sawDone = false
    private(set) var sentContent = false
    private(set) var contentChunks = 0
    private(set) var promptTokens: Int?
    private(set) var completionTokens: Int?
    private(set) var cachedTokens: Int?

    init(servedModel: String, clientWantsUsage: Bool, maxEventBytes: Int) {
        self.servedModel = servedModel
        self.clientWantsUsage = clientWantsUsage
        parser = SSEParser(maxEventBytes: maxEventBytes)
    }

    mutating func append(_ chunk: ByteBuffer) {
        parser.append(chunk)
    }

    /// The next event to send the client, or nil when the chunks so far hold no more.
    mutating func next() throws(SSEParser.ParseError) -> ByteBuffer? {
        while let data = try parser.next() {
            if let event = relay(data) { return event }
        }
        return nil
    }

    private mutating func relay(_ data: String) -> ByteBuffer? {
        if data == SSE.done {
            sawDone = true
            return SSE.event(SSE.done)
        }
        guard var value = try? JSONValue(json: data), value.entries != nil else {
            return Self.errorEvent("the upstream sent a malformed event; the stream was stopped")
        }
        if value["error"] != nil { return SSE.event(data) }
        if let usage = value["usage"], !usage.isNull {
            promptTokens = usage["prompt_tokens"]?.intValue
            completionTokens = usage["completion_tokens"]?.intValue
            cachedTokens = usage["prompt_tokens_details"]?["cached_tokens"]?.intValue
        }
        let choices = value["choices"]?.arrayValue ?? []
        if choices.isEmpty && !clientWantsUsage { return nil }
        if !clientWantsUsage { value = value.removing("usage") }
        if choices.contains(where: Self.carriesContent) {
            sentContent = true
            contentChunks += 1
        }
        value = value.setting("model", .string(servedModel))
        return SSE.event(value.json(pretty: false))
    }

    private static func carriesContent(_ choice: JSONValue) -> Bool {
        let delta = choice["delta"]
        if let text = delta?["content"]?.stringValue, !text.isEmpty { return true }
        if delta?["tool_calls"] != nil { return true }
        if let text = choice["text"]?.stringValue, !text.isEmpty { return true }
        return false
    }

    /// Whatever must still be sent when the upstream's body ends: an error event if it never said `[DONE]`.
    mutating func finish() -> ByteBuffer? {
        if let tail = parser.finish(), let event = relay(tail) { return event }
        return sawDone ? nil : Self.errorEvent("the upstream ended the stream before it was complete")
    }

    static func errorEvent(_ message: String) -> ByteBuffer {
        SSE.event(OpenAIError(status: 502, message: message, type: "server_error", code: "upstream_stream_error").body.json(pretty: false))
    }
}
