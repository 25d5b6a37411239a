import LumenRouting
import Testing

@Suite struct CandidateSelectionTests {
    typealias Selection = CandidateSelection

    let small = Selection.Candidate(name: "small", quality: 0.4, inputPerMTok: 0.1, outputPerMTok: 0.4, contextWindow: 8192)
    let medium = Selection.Candidate(name: "medium", quality: 0.7, inputPerMTok: 1, outputPerMTok: 4, contextWindow: 32768)
    let large = Selection.Candidate(name: "large", quality: 0.95, inputPerMTok: 5, outputPerMTok: 20, contextWindow: 131072)
    var all: [Selection.Candidate] { [large, small, medium] }

    func choose(_ candidates: [Selection.Candidate], _ demand: Selection.Demand, _ rules: Selection.Rules, draw: Double = 0) -> Selection.Outcome {
        Selection.choose(candidates, for: demand, rules: rules, draw: draw)
    }

    func choose(_ demand: Selection.Demand, _ rules: Selection.Rules) -> Selection.Outcome {
        choose(all, demand, rules)
    }

    @Test func theCheapestModelThatClearsTheBarWinsAndTheScoreRaisesTheBar() {
        let rules = Selection.Rules(strategy: .cheapestQualified, qualityBar: 0.3)
        #expect(choose(.init(promptTokens: 100, score: 0.1), rules).order == ["small", "medium", "large"])
        let hard = choose(.init(promptTokens: 100, score: 0.6), rules)
        #expect(hard.order == ["medium", "large"] && hard.bar == 0.6)
        #expect(choose(.init(promptTokens: 100, score: 0.9), rules).order == ["large"])
        // The route's bar holds even for an easy request.
        #expect(choose(.init(promptTokens: 100, score: 0.1), .init(strategy: .cheapestQualified, qualityBar: 0.5)).order == ["medium", "large"])
    }

    @Test func thePriceCeilingIsCheckedAgainstTheWorstCase() {
        // large: 1000 × $5 + 4000 × $20 per million = $0.085 worst case; medium $0.017.
        let rules = Selection.Rules(strategy: .cheapestQualified, maxCostPerRequest: 0.05)
        let outcome = choose(.init(promptTokens: 1000, maxTokens: 4000, score: 0.9), rules)
        #expect(outcome.order == ["medium", "small"] && outcome.bestEffort)
        let verdict = outcome.verdicts.first { $0.name == "large" }
        #expect(verdict?.excludedBecause.first?.contains("maxCostPerRequest") == true)
        #expect(abs((verdict?.worstCaseCost ?? 0) - 0.085) < 1e-9)
        // Without max_tokens the worst case is the model's own limit.
        let unbounded = choose([large], .init(promptTokens: 1000, score: 0), rules)
        #expect(unbounded.order.isEmpty && unbounded.refusal != nil)
    }

    @Test func theLatencySLOUsesObservedFiguresAndPassesTheUnknown() {
        var slow = medium
        slow.ttftP95Milliseconds = 900
        var fast = large
        fast.ttftP95Milliseconds = 150
        var unknown = small
        unknown.quality = 0.8
        let rules = Selection.Rules(strategy: .cheapestQualified, ttftP95Milliseconds: 500, minTokensPerSecond: 20)
        let outcome = choose([slow, fast, unknown], .init(promptTokens: 10, score: 0.5), rules)
        #expect(outcome.order == ["small", "large"])
        #expect(outcome.verdicts[0].excludedBecause == ["TTFT p95 900 ms misses the SLO of 500 ms"])
        var sluggish = fast
        sluggish.tokensPerSecond = 5
        #expect(choose([sluggish], .init(promptTokens: 10), rules).order.isEmpty)
    }

    @Test func contextWindowCapabilitiesAndAvailabilityAreHardConstraints() {
        var toolUser = medium
        toolUser.capabilities = ["tools", "json"]
        var textOnly = large
        textOnly.capabilities = ["json"]
        var keyless = small
        keyless.unavailableReason = "provider key OPENAI_API_KEY is not set"
        let rules = Selection.Rules(strategy: .cheapestQualified)
        let outcome = choose([textOnly, toolUser, keyless], .init(promptTokens: 10, needs: ["tools"], score: 0.2), rules)
        #expect(outcome.order == ["medium"])
        #expect(outcome.verdicts[0].excludedBecause == ["it lacks tools"])
        #expect(outcome.verdicts[2].excludedBecause == ["provider key OPENAI_API_KEY is not set"])
        // A model that declares no capabilities is not ruled out by them.
        #expect(choose([small], .init(promptTokens: 10, needs: ["tools"]), rules).order == ["small"])
        let long = choose(.init(promptTokens: 20000, score: 0), rules)
        #expect(long.order == ["medium", "large"])
    }

    @Test func whenNothingQualifiesBestEffortTakesTheStrongestAndRejectRefuses() {
        var weak = [small, medium]
        let best = choose(weak, .init(promptTokens: 10, score: 0.9), .init(strategy: .cheapestQualified))
        #expect(best.order == ["medium", "small"] && best.bestEffort)
        let refused = choose(weak, .init(promptTokens: 10, score: 0.9), .init(strategy: .cheapestQualified, bestEffort: false))
        #expect(refused.order.isEmpty)
        #expect(refused.refusal?.contains("small: quality 0.40 is below the bar 0.90") == true, "\(refused.refusal ?? "")")
        weak[0].unavailableReason = "down"
        weak[1].unavailableReason = "down"
        #expect(choose(weak, .init(promptTokens: 10), .init(strategy: .cheapestQualified)).refusal != nil)
    }

    @Test func weightedSplitsTrafficByTheDrawPinnedKeepsItsOrderFastestSortsByTTFT() {
        var a = small, b = medium
        a.trafficPercent = 90
        b.trafficPercent = 10
        let rules = Selection.Rules(strategy: .weighted)
        #expect(choose([a, b], .init(promptTokens: 10), rules, draw: 0.5).order == ["small", "medium"])
        #expect(choose([a, b], .init(promptTokens: 10), rules, draw: 0.95).order == ["medium", "small"])
        // A seeded stream of draws splits 90/10.
        var generator = SplitMix(seed: 7)
        let firsts = (0..<10_000).map { _ in choose([a, b], .init(promptTokens: 10), rules, draw: generator.unit()).order[0] }
        let share = Double(firsts.filter { $0 == "small" }.count) / 10_000
        #expect(abs(share - 0.9) < 0.02, "\(share)")

        // Sticky draws: a session keeps its side, and sessions split by the weights.
        let sessions = (0..<10_000).map { "session-\($0)" }
        #expect(Selection.stickyDraw("session-7") == Selection.stickyDraw("session-7"))
        let stickyShare = Double(sessions.filter { choose([a, b], .init(promptTokens: 10), rules, draw: Selection.stickyDraw($0)).order[0] == "small" }.count) / 10_000
        #expect(abs(stickyShare - 0.9) < 0.02, "\(stickyShare)")

        #expect(choose(.init(promptTokens: 10, score: 0.99), .init(strategy: .pinned)).order == ["large", "small", "medium"])
        var quick = medium, sluggish = large
        quick.ttftP95Milliseconds = 80
        sluggish.ttftP95Milliseconds = 400
        #expect(choose([sluggish, small, quick], .init(promptTokens: 10, score: 0.5), .init(strategy: .fastest)).order == ["medium", "large"])
    }
}

/// Seeded randomness for tests.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func unit() -> Double {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return Double((z ^ (z >> 31)) >> 11) / Double(1 << 53)
    }
}
