@testable import LumenCtl
import LumenManifest
import LumenStore
import Testing

@Suite struct ShadowPromotionTests {
    static func route(_ spec: String) throws -> RouteSpec {
        let documents = try ManifestParser.parse("apiVersion: lumen.ai/v1\nkind: Route\nmetadata: {name: auto}\nspec: \(spec)\n", file: "route.yaml")
        guard case .route(let route) = try #require(documents.first).manifest.spec else { throw CommandFailure("not a route") }
        return route
    }

    static func row(_ model: String, ttft: Double, outcome: UsageRecord.Outcome = .completed) -> UsageRecord {
        UsageRecord(requestID: "r", at: "2026-01-01T00:00:00Z", keyName: nil, route: "auto", model: model, upstream: nil, promptTokens: 1,
                    completionTokens: 1, cachedTokens: 0, cost: "0", ttftMilliseconds: ttft, durationMilliseconds: ttft * 2, status: 200,
                    outcome: outcome, failovers: 0)
    }

    @Test func stepsSplitTrafficThenTheCandidateTakesTheIncumbentsPlace() throws {
        let pinned = try Self.route("{candidates: [incumbent, backup], strategy: pinned}")
        let half = ShadowPromotion.route(pinned, incumbent: "incumbent", candidate: "challenger", percent: 10)
        #expect(half.strategy == .weighted && half.traffic?.values == ["incumbent": 90, "challenger": 10])
        #expect(half.candidates == ["incumbent", "backup", "challenger"])
        let full = ShadowPromotion.route(pinned, incumbent: "incumbent", candidate: "challenger", percent: 100)
        #expect(full.strategy == .pinned && full.candidates == ["challenger", "backup"] && full.traffic == nil)

        let weighted = try Self.route("{candidates: [a, b], strategy: weighted, traffic: {a: 70, b: 30}}")
        let step = ShadowPromotion.route(weighted, incumbent: "a", candidate: "c", percent: 50)
        #expect(step.traffic?.values == ["a": 35, "b": 15, "c": 50])
        #expect(ShadowPromotion.route(weighted, incumbent: "a", candidate: "c", percent: 100).traffic?.values == ["c": 100])
        // Each step is a route the manifest rules accept.
        for percent in [1, 33, 50, 99, 100] {
            let route = ShadowPromotion.route(weighted, incumbent: "a", candidate: "c", percent: percent)
            #expect(route.traffic.map { $0.values.values.reduce(0, +) } == 100)
        }
    }

    @Test func regressionIsJudgedOnTheCandidatesLiveTraffic() {
        var baseline = ShadowPromotion.Baseline(pairs: [])
        baseline.ttftP95 = 20
        baseline.latencyP95 = 40
        let thresholds = ShadowTestSpec.Thresholds(maxTtftP95Ratio: 1.5, maxLatencyP95Ratio: 1.5)
        let judge = { (rows: [UsageRecord], upstream: Double?) in
            ShadowPromotion.regression(candidate: "c", route: "auto", rows: rows, upstreamErrorRate: upstream, baseline: baseline,
                                       thresholds: thresholds)
        }
        #expect(judge((0..<10).map { _ in Self.row("c", ttft: 22) }, 0) == nil)
        #expect(judge((0..<4).map { _ in Self.row("c", ttft: 400) }, nil) == nil, "too few requests to judge latency")
        #expect(judge((0..<10).map { _ in Self.row("c", ttft: 400) }, nil)?.contains("TTFT p95") == true)
        #expect(judge((0..<10).map { _ in Self.row("other", ttft: 400) }, nil) == nil, "only the candidate's rows count")
        let failing = (0..<10).map { Self.row("c", ttft: 20, outcome: $0 < 3 ? .failed : .completed) }
        #expect(judge(failing, nil)?.contains("error rate is 30.0%") == true)
        #expect(judge([], 0.5)?.contains("error rate is 50.0%") == true, "the agents' view of the candidate's upstreams counts")
    }

    @Test func theIncumbentIsTheModelThatServedThePairs() throws {
        let route = try Self.route("{candidates: [a, b]}")
        #expect(ShadowPromotion.incumbent(of: route, candidate: "c", pairs: []) == "a")
        #expect(ShadowPromotion.incumbent(of: route, candidate: "a", pairs: []) == "b")
    }
}
