import Foundation
import LumenAPI
import LumenManifest
import LumenStore
import NIOHTTP1

extension Gateway {
    /// The mirrored copies a routed request gets, one per shadow test that samples it.
    func shadowTickets(_ plan: Plan, _ exchange: Exchange, body: JSONValue, endpoint: Endpoint, state: CompiledState) -> [ShadowTicket] {
        guard endpoint != .embeddings, let route = plan.route, var tests = state.shadowTests[route] else { return [] }
        // A candidate this agent runs but has no replica of yet is not mirrored to (its errors
        // would be a cold start's, not its own); its autoscaler hears it is wanted.
        tests.removeAll { test in
            guard let model = state.models[test.spec.candidate], let pool = model.pool, model.fixedUpstreams.isEmpty,
                  shadows.isRunning(test) else { return false }
            let cold = pool.ready.isEmpty
            pool.noteWanted(unmet: cold)
            return cold
        }
        let chosen = shadows.sample(tests)
        guard !chosen.isEmpty else { return [] }
        let retainsText = state.routes[route]?.retention != .zero
        let prompt = retainsText ? Self.promptText(body, endpoint) : nil
        let at = exchange.startedAt.ISO8601Format()
        return chosen.map { test in
            ShadowTicket(test: test, requestID: exchange.requestID, at: at, route: route, retainsText: retainsText, prompt: prompt,
                         mirror: shadows)
        }
    }

    /// Sends each mirrored copy once the primary has been dispatched. Each runs on its own: the
    /// primary never waits for it, and its failure is only measured.
    func startShadows(_ tickets: [ShadowTicket], body: JSONValue, endpoint: Endpoint, plan: Plan) {
        for ticket in tickets {
            Task.detached(priority: .low) {
                await self.mirror(ticket, body: body, endpoint: endpoint, stallTimeout: plan.failover.stallTimeout.duration)
            }
        }
    }

    /// The primary's half of its pairs, from what the request did (TTFT as the ledger has it:
    /// none for a whole, unstreamed answer).
    func primaryHalf(_ exchange: Exchange, outcome: UsageRecord.Outcome, cost: Decimal, ttft: Duration?,
                     durationMilliseconds: Double) -> ShadowTicket.Half {
        ShadowTicket.Half(
            side: ShadowPair.Side(
                model: exchange.model?.name, upstream: exchange.upstream?.id, status: exchange.status,
                outcome: outcome == .completed ? .completed : .failed, ttftMilliseconds: ttft?.milliseconds,
                durationMilliseconds: durationMilliseconds, promptTokens: exchange.promptTokens,
                completionTokens: exchange.completionTokens, cost: "\(cost)", text: nil, toolCalls: nil),
            text: exchange.answerText, toolCalls: exchange.answerToolCalls)
    }

    /// Asks the candidate the same question as a stream (for its TTFT), once, with no failover:
    /// the candidate's own errors are what the test measures.
    private func mirror(_ ticket: ShadowTicket, body: JSONValue, endpoint: Endpoint, stallTimeout: Duration) async {
        let started = ContinuousClock.now
        let candidate = ticket.test.spec.candidate
        // The mirrored copy costs money too: it gets a shadow row, which `lumenctl costs` shows apart.
        func ended(_ half: ShadowTicket.Half) {
            let side = half.side
            ledger.append(UsageRecord(
                requestID: ticket.requestID + ".shadow", at: ticket.at, keyName: nil, route: ticket.route, model: side.model,
                upstream: side.upstream, promptTokens: side.promptTokens, completionTokens: side.completionTokens, cachedTokens: 0,
                cost: side.cost, ttftMilliseconds: side.ttftMilliseconds, durationMilliseconds: side.durationMilliseconds,
                status: side.status, outcome: side.outcome, failovers: 0, origin: .shadow))
            ticket.candidateEnded(half)
        }
        func failed(_ status: Int, model: String?, upstream: String?) -> ShadowTicket.Half {
            ShadowTicket.Half(side: ShadowPair.Side(
                model: model ?? candidate, upstream: upstream, status: status, outcome: .failed, ttftMilliseconds: nil,
                durationMilliseconds: (ContinuousClock.now - started).milliseconds, promptTokens: 0, completionTokens: 0, cost: "0",
                text: nil, toolCalls: nil), text: "", toolCalls: [])
        }
        guard let model = state.snapshot.models[candidate] else {
            ended(failed(404, model: nil, upstream: nil))
            return
        }
        let answer = await attempt(endpoint, candidates: [model], maxAttempts: 1, requestID: ticket.requestID + ".shadow") { _, upstream in
            Self.outgoing(body.setting("stream", .bool(true)), to: upstream, stream: true)
        }
        switch answer {
        case .answered(let model, let upstream, let response):
            var relay = StreamRelay(servedModel: model.name, clientWantsUsage: false, maxEventBytes: configuration.maxEventBytes)
            relay.beginLeg()
            var output = Output.discarded
            let leg = Leg(model: model, upstream: upstream, response: response, requestedAt: started)
            let end = await self.relay(leg, through: &relay, to: &output, stallTimeout: stallTimeout)
            let completed: Bool
            if case .completed = end { completed = true } else { completed = false }
            let prompt = relay.promptTokens ?? 0, completion = relay.completionTokens, cached = relay.cachedTokens ?? 0
            ended(ShadowTicket.Half(
                side: ShadowPair.Side(
                    model: model.name, upstream: upstream.id, status: completed ? 200 : 502, outcome: completed ? .completed : .failed,
                    ttftMilliseconds: relay.firstContentAt.map { ($0 - started).milliseconds },
                    durationMilliseconds: (ContinuousClock.now - started).milliseconds, promptTokens: prompt, completionTokens: completion,
                    cost: "\(model.spec.pricing.cost(prompt: prompt, completion: completion, cached: cached))", text: nil, toolCalls: nil),
                text: relay.text, toolCalls: ShadowTicket.ToolCall.of(relay)))
        case .refused(let model, let upstream, let status, _):
            ended(failed(Int(status.code), model: model.name, upstream: upstream.id))
        case .exhausted(let failures, _):
            ended(failed(failures.last?.rateLimited == true ? 429 : 502, model: model.name, upstream: failures.last?.upstream.id))
        }
    }

    /// What the pair shows as the prompt: the last user message, or the completion prompt.
    private static func promptText(_ body: JSONValue, _ endpoint: Endpoint) -> String {
        let text: String
        if endpoint == .chatCompletions {
            text = body["messages"]?.arrayValue?.last(where: { $0["role"]?.stringValue == "user" })?["content"]?.messageText ?? ""
        } else {
            text = body["prompt"]?.stringValue ?? ""
        }
        return String(text.prefix(2000))
    }

    /// Choice 0's text and tool calls from a whole (non-streamed) answer.
    static func answerParts(_ answer: JSONValue) -> (text: String, toolCalls: [ShadowTicket.ToolCall]) {
        guard let choice = answer["choices"]?.arrayValue?.first else { return ("", []) }
        if let text = choice["text"]?.stringValue { return (text, []) }
        let message = choice["message"]
        let calls = (message?["tool_calls"]?.arrayValue ?? []).map { call in
            ShadowTicket.ToolCall(name: call["function"]?["name"]?.stringValue ?? "",
                                  arguments: call["function"]?["arguments"]?.stringValue ?? "")
        }
        return ((message?["content"] ?? .null).messageText, calls)
    }
}
