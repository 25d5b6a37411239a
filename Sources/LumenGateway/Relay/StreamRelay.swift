import Foundation
import LumenAPI
import NIOCore

/// Turns upstream SSE bytes, from one leg or several, into the one stream the client gets.
/// - Every event keeps the first leg's `id` and `created`; `model` names the served model.
/// - A later leg's repeated role header is dropped, so the client sees one message.
/// - Usage is read for the ledger, summed over legs, and dropped if the client did not ask.
/// - It keeps what choice 0 has said, so that another upstream can continue from there.
/// - After a failover, the final chunk carries a `lumen` field that records it.
/// An upstream error event, a malformed event, or one over the size limit ends the leg with a `LegFault`.
struct StreamRelay {
    /// A tool call of choice 0, as far as it has streamed.
    struct ToolCallSoFar {
        var index: Int
        var id: String?
        var name: String?
        var arguments: String

        /// The call as an assistant message's `tool_calls` entry holds it.
        var message: JSONValue {
            .map([.init("id", .string(id ?? "call_\(index)")), .init("type", .string("function")),
                  .init("function", .map([.init("name", .string(name ?? "")), .init("arguments", .string(arguments))]))])
        }
    }

    let servedModel: String
    let clientWantsUsage: Bool
    let maxEventBytes: Int
    private var parser: SSEParser
    /// Legs started so far.
    private(set) var legs = 0
    /// Whether the current leg sent `[DONE]`.
    private(set) var sawDone = false
    private(set) var firstContentAt: ContinuousClock.Instant?
    /// The current leg's first and last content, for its TTFT and inter-token latency.
    private(set) var legFirstContentAt: ContinuousClock.Instant?
    private var legLastContentAt: ContinuousClock.Instant?
    /// Events that carried content, over all legs.
    private(set) var contentChunks = 0
    /// What choice 0 has said so far.
    private(set) var text = ""
    /// Choice 0's tool calls so far, for a continuation to finish.
    private(set) var toolCalls: [ToolCallSoFar] = []
    private(set) var finishSent = false
    private var usageSent = false
    /// Upstreams that broke, in order; named by the final chunk's `lumen` field.
    var abandoned: [String] = []
    /// Whether a second, hedged request produced this answer; recorded in the `lumen` field.
    var hedged = false
    private var rolesSent: Set<Int> = []
    private var id: JSONValue?
    private var created: JSONValue?
    private var object: JSONValue?
    // Usage: what the current leg reported, and what the legs before it came to.
    private var legStartChunks = 0
    private var legPrompt: Int?
    private var legCompletion: Int?
    private var earlierCompletion = 0
    /// Content chunks already sent when each broken leg started (their prompts held that much of the answer).
    private var brokenLegStarts: [Int] = []
    private(set) var cachedTokens: Int?
    /// The finish reason `closing()` writes when no finish chunk came.
    private var pendingFinish: String?

    init(servedModel: String, clientWantsUsage: Bool, maxEventBytes: Int) {
        self.servedModel = servedModel
        self.clientWantsUsage = clientWantsUsage
        self.maxEventBytes = maxEventBytes
        parser = SSEParser(maxEventBytes: maxEventBytes)
    }

    /// Prompt tokens over all legs. A leg that broke before reporting usage is counted as the last
    /// reported prompt less the part of the answer it did not yet hold.
    var promptTokens: Int? {
        guard let legPrompt else { return nil }
        return brokenLegStarts.reduce(legPrompt) { $0 + max(0, legPrompt - (legStartChunks - $1)) }
    }

    /// The current leg's mean gap between content events.
    var legInterToken: Duration? {
        let chunks = contentChunks - legStartChunks
        guard chunks > 1, let first = legFirstContentAt, let last = legLastContentAt else { return nil }
        return (last - first) / (chunks - 1)
    }

    /// Completion tokens over all legs: reported where a leg reported them, else its content events.
    var completionTokens: Int {
        earlierCompletion + (legCompletion ?? (contentChunks - legStartChunks))
    }

    mutating func beginLeg() {
        if legs > 0 {
            earlierCompletion = completionTokens
            brokenLegStarts.append(legStartChunks)
            legStartChunks = contentChunks
            legCompletion = nil
        }
        legs += 1
        legFirstContentAt = nil
        legLastContentAt = nil
        sawDone = false
        parser = SSEParser(maxEventBytes: maxEventBytes)
    }

    mutating func append(_ chunk: ByteBuffer) {
        parser.append(chunk)
    }

    /// The next event to send the client, or nil when the chunks so far hold no more.
    mutating func next() throws(LegFault) -> ByteBuffer? {
        while true {
            let data: String?
            do {
                data = try parser.next()
            } catch {
                throw .eventTooLarge(maxEventBytes)
            }
            guard let data else { return nil }
            if let event = try relay(data) { return event }
        }
    }

    /// Whatever must still be sent when the leg's body ends: a last event without its blank line.
    mutating func finishLeg() throws(LegFault) -> ByteBuffer? {
        guard let tail = parser.finish() else { return nil }
        return try relay(tail)
    }

    private mutating func relay(_ data: String) throws(LegFault) -> ByteBuffer? {
        if data == SSE.done {
            sawDone = true
            return SSE.event(SSE.done)
        }
        guard var value = try? JSONValue(json: data), value.entries != nil else { throw .malformed }
        if let error = value["error"], !error.isNull {
            throw .upstreamError(error["message"]?.stringValue ?? error.json(pretty: false))
        }
        if id == nil {
            id = value["id"]
            created = value["created"]
            object = value["object"]
        }
        if let id { value = value.setting("id", id) }
        if let created { value = value.setting("created", created) }
        value = value.setting("model", .string(servedModel))
        if let usage = value["usage"], !usage.isNull {
            legPrompt = usage["prompt_tokens"]?.intValue ?? legPrompt
            legCompletion = usage["completion_tokens"]?.intValue
            cachedTokens = usage["prompt_tokens_details"]?["cached_tokens"]?.intValue ?? cachedTokens
            value = value.setting("usage", usageTotals(usage))
        }
        let choices = value["choices"]?.arrayValue ?? []
        if choices.isEmpty {
            // The usage chunk: the final one when the client asked for usage.
            guard clientWantsUsage else { return nil }
            usageSent = true
            return SSE.event(marked(value).json(pretty: false))
        }
        if !clientWantsUsage { value = value.removing("usage") }
        let kept = choices.compactMap { track($0) }
        if kept.isEmpty { return nil }
        if kept.contains(where: Self.carriesContent) {
            let now = ContinuousClock.now
            if firstContentAt == nil { firstContentAt = now }
            if legFirstContentAt == nil { legFirstContentAt = now }
            legLastContentAt = now
            contentChunks += 1
        }
        value = value.setting("choices", .list(kept))
        if kept.contains(where: { Self.finished($0) }) && !clientWantsUsage { value = marked(value) }
        return SSE.event(value.json(pretty: false))
    }

    /// Records what a choice says; returns it as the client should see it, or nil if it says nothing new.
    private mutating func track(_ choice: JSONValue) -> JSONValue? {
        var choice = choice
        let index = choice["index"]?.intValue ?? 0
        if var delta = choice["delta"], delta.entries != nil {
            if delta["role"] != nil {
                if rolesSent.contains(index) { delta = delta.removing("role") } else { rolesSent.insert(index) }
            }
            if index == 0, let content = delta["content"]?.stringValue { text += content }
            if index == 0, let calls = delta["tool_calls"]?.arrayValue {
                let kept = calls.compactMap { trackToolCall($0) }
                delta = kept.isEmpty ? delta.removing("tool_calls") : delta.setting("tool_calls", .list(kept))
            }
            choice = choice.setting("delta", delta)
        }
        if index == 0, let completion = choice["text"]?.stringValue { text += completion }
        let finished = Self.finished(choice)
        if finished { finishSent = true }
        let content = Self.carriesContent(choice)
        // A later leg's opening (its role header, now empty) says nothing the client has not seen.
        if legs > 1 && !content && !finished { return nil }
        return choice
    }

    /// Records a piece of a tool call; returns it as the client should see it. A later leg repeats
    /// the header (id, type, name) of a call the client already has: that goes, and so does a piece
    /// left with nothing to say.
    private mutating func trackToolCall(_ call: JSONValue) -> JSONValue? {
        let callIndex = call["index"]?.intValue ?? 0
        let fragment = call["function"]?["arguments"]?.stringValue ?? ""
        guard let known = toolCalls.firstIndex(where: { $0.index == callIndex }) else {
            toolCalls.append(ToolCallSoFar(index: callIndex, id: call["id"]?.stringValue, name: call["function"]?["name"]?.stringValue,
                                           arguments: fragment))
            return call
        }
        toolCalls[known].arguments += fragment
        guard legs > 1 else { return call }
        var piece = call.removing("id").removing("type")
        if let function = call["function"] { piece = piece.setting("function", function.removing("name")) }
        return fragment.isEmpty ? nil : piece
    }

    private static func finished(_ choice: JSONValue) -> Bool {
        choice["finish_reason"].map { !$0.isNull } ?? false
    }

    static func carriesContent(_ choice: JSONValue) -> Bool {
        let delta = choice["delta"]
        if let text = delta?["content"]?.stringValue, !text.isEmpty { return true }
        if delta?["tool_calls"] != nil { return true }
        if let text = choice["text"]?.stringValue, !text.isEmpty { return true }
        return false
    }

    /// `usage` as the client should see it: this leg's figures plus the legs before it.
    private func usageTotals(_ usage: JSONValue) -> JSONValue {
        guard legs > 1 else { return usage }
        let prompt = promptTokens ?? 0, completion = completionTokens
        return usage.setting("prompt_tokens", .number(String(prompt)))
            .setting("completion_tokens", .number(String(completion)))
            .setting("total_tokens", .number(String(prompt + completion)))
    }

    /// `value` with the `lumen` field that records failovers, when there were any.
    private func marked(_ value: JSONValue) -> JSONValue {
        guard !abandoned.isEmpty || hedged else { return value }
        var fields: [JSONValue.Entry] = [
            .init("failovers", .number(String(abandoned.count))),
            .init("abandoned_upstreams", .list(abandoned.map(JSONValue.string))),
        ]
        if hedged { fields.append(.init("hedged", .bool(true))) }
        return value.setting("lumen", .map(fields))
    }

    /// The answer reached the client's token limit but its upstream broke before saying so: finish it here.
    mutating func endAtLength() {
        pendingFinish = "length"
    }

    /// The end of an answer whose upstream broke after its last token: a finish chunk if none was
    /// sent, the usage chunk if the client asked for usage, and `[DONE]`.
    mutating func closing() -> [ByteBuffer] {
        var events: [ByteBuffer] = []
        let base: JSONValue = .map([
            .init("id", id ?? .string("lumen")), .init("object", object ?? .string("chat.completion.chunk")),
            .init("created", created ?? .number("0")), .init("model", .string(servedModel)),
        ])
        if !finishSent {
            finishSent = true
            let choice: JSONValue = .map([
                .init("index", .number("0")), .init("delta", .map([])), .init("logprobs", .null),
                .init("finish_reason", .string(pendingFinish ?? "stop")),
            ])
            let chunk = base.setting("choices", .list([choice]))
            events.append(SSE.event((clientWantsUsage ? chunk : marked(chunk)).json(pretty: false)))
        }
        if clientWantsUsage && !usageSent {
            let prompt = promptTokens ?? 0, completion = completionTokens
            let usage: JSONValue = .map([
                .init("prompt_tokens", .number(String(prompt))), .init("completion_tokens", .number(String(completion))),
                .init("total_tokens", .number(String(prompt + completion))),
            ])
            events.append(SSE.event(marked(base.setting("choices", .list([])).setting("usage", usage)).json(pretty: false)))
        }
        events.append(SSE.event(SSE.done))
        return events
    }

    static func errorEvent(_ message: String) -> ByteBuffer {
        var body = OpenAIError(status: 502, message: message, type: "server_error", code: "upstream_stream_error").body
        // The stream already answered 200: say here what x-should-retry: false says for whole responses.
        if let error = body["error"] { body = body.setting("error", error.setting("should_retry", .bool(false))) }
        return SSE.event(body.json(pretty: false))
    }
}
