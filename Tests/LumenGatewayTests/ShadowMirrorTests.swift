import Foundation
@testable import LumenGateway
import LumenManifest
import LumenStore
import Logging
import Testing

@Suite struct ShadowMirrorTests {
    static func test(_ rate: Double, max: Int? = nil, until: String? = nil) -> ShadowMirror.Test {
        ShadowMirror.Test(name: "t", spec: ShadowTestSpec(route: "auto", candidate: "c", sampleRate: rate, maxRequests: max, until: until,
                                                          thresholds: .init()))
    }

    @Test func takesExactlyTheSampleRateOfRequestsAndStopsAtItsLimits() {
        let mirror = ShadowMirror(store: nil, metrics: GatewayMetrics(), logger: Logger(label: "test"), maxInFlight: 1000)
        var taken = 0
        for _ in 0..<100 { taken += mirror.sample([Self.test(0.3)]).count }
        #expect(taken == 30)
        let limited = ShadowMirror(store: nil, metrics: GatewayMetrics(), logger: Logger(label: "test"), maxInFlight: 1000)
        taken = 0
        for _ in 0..<100 { taken += limited.sample([Self.test(1, max: 7)]).count }
        #expect(taken == 7)
        #expect(mirror.sample([Self.test(1, until: "2000-01-01T00:00:00Z")]).isEmpty, "a test past its until mirrors nothing")
    }

    @Test func dropsSamplesRatherThanQueueThem() {
        let mirror = ShadowMirror(store: nil, metrics: GatewayMetrics(), logger: Logger(label: "test"), maxInFlight: 2)
        let taken = (0..<5).reduce(0) { count, _ in count + mirror.sample([Self.test(1)]).count }
        #expect(taken == 2)
        mirror.completed(nil)
        #expect(mirror.sample([Self.test(1)]).count == 1, "a finished mirror frees its place")
    }

    static func half(_ text: String, tokens: Int, calls: [ShadowTicket.ToolCall] = []) -> ShadowTicket.Half {
        ShadowTicket.Half(side: ShadowPair.Side(model: "m", upstream: nil, status: 200, outcome: .completed, ttftMilliseconds: 1,
                                                durationMilliseconds: 2, promptTokens: 1, completionTokens: tokens, cost: "0", text: nil,
                                                toolCalls: nil), text: text, toolCalls: calls)
    }

    @Test func measuresAgreement() {
        let same = ShadowTicket.measures(Self.half("Hello there.", tokens: 3), Self.half("Hello there.", tokens: 3))
        #expect(same.exactMatch && same.agreement == 1 && same.lengthRatio == 1 && same.jsonAgreement && same.toolCallAgreement)
        let close = ShadowTicket.measures(Self.half("hello there", tokens: 2), Self.half("Hello, there!", tokens: 4))
        #expect(!close.exactMatch && close.similarity == 1 && close.lengthRatio == 2)
        // One answers in JSON, the other does not: no agreement, whatever the words.
        let json = ShadowTicket.measures(Self.half(#"{"city": "Paris"}"#, tokens: 5), Self.half("city Paris", tokens: 2))
        #expect(!json.jsonAgreement && json.agreement == 0)
        // The same call with keys in another order agrees; another argument does not.
        let a = [ShadowTicket.ToolCall(name: "weather", arguments: #"{"city":"Paris","unit":"c"}"#)]
        let b = [ShadowTicket.ToolCall(name: "weather", arguments: #"{"unit":"c", "city":"Paris"}"#)]
        let c = [ShadowTicket.ToolCall(name: "weather", arguments: #"{"city":"Lyon","unit":"c"}"#)]
        #expect(ShadowTicket.measures(Self.half("", tokens: 9, calls: a), Self.half("", tokens: 9, calls: b)).toolCallAgreement)
        let differ = ShadowTicket.measures(Self.half("", tokens: 9, calls: a), Self.half("", tokens: 9, calls: c))
        #expect(!differ.toolCallAgreement && differ.agreement == 0)
    }

    @Test func metricsPageIsPrometheusText() {
        let metrics = GatewayMetrics()
        metrics.record(GatewayMetrics.Finished(
            route: "auto", model: "m\"x", status: 200, outcome: .completed, ttftSeconds: 0.02, perTokenSeconds: 0.002,
            durationSeconds: 0.3, inputTokens: 10, outputTokens: 20, cachedTokens: 4, cost: Decimal(string: "0.0005") ?? 0, failovers: 1,
            hedged: false, unrecoverable: false))
        let page = metrics.prometheusText(upstreams: [], inFlight: 3, budgets: [("auto", "daily", 9.5)])
        #expect(page.contains(#"lumen_requests_total{model="m\"x",outcome="completed",route="auto",status="200"} 1"#))
        #expect(page.contains(#"lumen_time_to_first_token_seconds_bucket{le="0.025",model="m\"x",route="auto"} 1"#))
        #expect(page.contains(#"lumen_time_to_first_token_seconds_bucket{le="0.01",model="m\"x",route="auto"} 0"#))
        #expect(page.contains(#"lumen_time_to_first_token_seconds_bucket{le="+Inf",model="m\"x",route="auto"} 1"#))
        #expect(page.contains(#"lumen_tokens_total{gen_ai_token_type="output",model="m\"x",route="auto"} 20"#))
        #expect(page.contains(#"lumen_cost_usd_total{model="m\"x",route="auto"} 0.0005"#))
        #expect(page.contains(#"lumen_failovers_total{model="m\"x",route="auto"} 1"#))
        #expect(page.contains("lumen_requests_in_flight 3"))
        #expect(page.contains(#"lumen_budget_remaining_usd{period="daily",route="auto"} 9.5"#))
        // Every sample belongs to a family declared with its type.
        let families = Set(page.split(separator: "\n").filter { $0.hasPrefix("# TYPE ") }.map { $0.split(separator: " ")[2] })
        for line in page.split(separator: "\n") where !line.hasPrefix("#") {
            let name = line.prefix { $0 != "{" && $0 != " " }
            let family = ["_bucket", "_sum", "_count"].reduce(String(name)) { name, suffix in
                name.hasSuffix(suffix) && !families.contains(Substring(name)) ? String(name.dropLast(suffix.count)) : name
            }
            #expect(families.contains(Substring(family)), "\(line)")
        }
    }
}
