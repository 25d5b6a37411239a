import Foundation

/// Chooses, for one request, the order in which a route's candidate models are tried. Pure: the
/// caller passes what it observed (TTFT, throughput) and the random draw for traffic splits.
public enum CandidateSelection {
    public enum Strategy: String, Sendable {
        case cheapestQualified = "cheapest-qualified", fastest, weighted, pinned
    }

    /// A candidate model as selection sees it.
    public struct Candidate: Sendable {
        public var name: String
        public var quality: Double
        /// USD per million tokens.
        public var inputPerMTok: Double
        public var outputPerMTok: Double
        public var contextWindow: Int
        public var maxOutputTokens: Int?
        /// What the model declares it can do; empty when it declares nothing (then nothing is ruled out).
        public var capabilities: Set<String>
        /// Observed TTFT p95 and decode speed of its best upstream, when known.
        public var ttftP95Milliseconds: Double?
        public var tokensPerSecond: Double?
        /// Share of traffic for `weighted` routes.
        public var trafficPercent: Int
        /// Why it cannot serve at all on this agent (a missing provider key), if so.
        public var unavailableReason: String?

        public init(name: String, quality: Double, inputPerMTok: Double, outputPerMTok: Double, contextWindow: Int,
                    maxOutputTokens: Int? = nil, capabilities: Set<String> = [], ttftP95Milliseconds: Double? = nil,
                    tokensPerSecond: Double? = nil, trafficPercent: Int = 0, unavailableReason: String? = nil) {
            self.name = name
            self.quality = quality
            self.inputPerMTok = inputPerMTok
            self.outputPerMTok = outputPerMTok
            self.contextWindow = contextWindow
            self.maxOutputTokens = maxOutputTokens
            self.capabilities = capabilities
            self.ttftP95Milliseconds = ttftP95Milliseconds
            self.tokensPerSecond = tokensPerSecond
            self.trafficPercent = trafficPercent
            self.unavailableReason = unavailableReason
        }
    }

    /// What the request asks for.
    public struct Demand: Sendable {
        public var promptTokens: Int
        /// The most tokens the prompt can be, for worst cases.
        public var promptTokensAtMost: Int
        /// The client's `max_tokens` (or `max_completion_tokens`), if set.
        public var maxTokens: Int?
        public var needs: Set<String>
        /// The request's difficulty in [0, 1]; nil when the strategy does not score.
        public var score: Double?
        /// Answers the request asks for (`n`, `best_of`, one per prompt of a batch): each may reach the output limit.
        public var choices: Int

        public init(promptTokens: Int, promptTokensAtMost: Int? = nil, maxTokens: Int? = nil, needs: Set<String> = [], score: Double? = nil,
                    choices: Int = 1) {
            self.promptTokens = promptTokens
            self.promptTokensAtMost = promptTokensAtMost ?? promptTokens
            self.maxTokens = maxTokens
            self.needs = needs
            self.score = score
            self.choices = max(1, choices)
        }
    }

    /// The route's rules.
    public struct Rules: Sendable {
        public var strategy: Strategy
        public var qualityBar: Double
        public var maxCostPerRequest: Double?
        public var ttftP95Milliseconds: Double?
        public var minTokensPerSecond: Double?
        /// When nothing qualifies: the best model that meets the hard constraints (true), or a refusal.
        public var bestEffort: Bool
        /// Output tokens expected when the client sets no smaller limit, for the expected cost.
        public var expectedOutputTokens = 256

        public init(strategy: Strategy, qualityBar: Double = 0, maxCostPerRequest: Double? = nil, ttftP95Milliseconds: Double? = nil,
                    minTokensPerSecond: Double? = nil, bestEffort: Bool = true) {
            self.strategy = strategy
            self.qualityBar = qualityBar
            self.maxCostPerRequest = maxCostPerRequest
            self.ttftP95Milliseconds = ttftP95Milliseconds
            self.minTokensPerSecond = minTokensPerSecond
            self.bestEffort = bestEffort
        }
    }

    /// One candidate's evaluation, for explanations.
    public struct Verdict: Sendable, Equatable {
        public var name: String
        public var quality: Double
        public var expectedCost: Double
        public var worstCaseCost: Double
        public var ttftP95Milliseconds: Double?
        /// Hard constraints it fails (price ceiling, SLO, context, capabilities, availability).
        public var excludedBecause: [String]
        /// Whether it clears the quality bar.
        public var clearsBar: Bool
    }

    public struct Outcome: Sendable, Equatable {
        /// Candidate names in the order to try them; empty when the request is refused.
        public var order: [String]
        public var verdicts: [Verdict]
        /// The quality a model had to clear: max(route qualityBar, score).
        public var bar: Double
        /// Nothing cleared the bar, so the best model meeting the hard constraints was taken.
        public var bestEffort: Bool
        /// Why the request is refused, when it is.
        public var refusal: String?

        /// The most the request can cost on any model it may be sent to: what a budget reserves.
        public var worstCaseCost: Double {
            verdicts.filter { order.contains($0.name) }.map(\.worstCaseCost).max() ?? 0
        }
    }

    /// `draw` is a number in [0, 1) for the traffic split; pass a seeded one in tests.
    public static func choose(_ candidates: [Candidate], for demand: Demand, rules: Rules, draw: Double) -> Outcome {
        let bar = rules.strategy == .cheapestQualified || rules.strategy == .fastest
            ? max(rules.qualityBar, demand.score ?? 0) : rules.qualityBar
        let verdicts = candidates.map { evaluate($0, demand: demand, rules: rules, bar: bar) }
        let eligible = candidates.indices.filter { verdicts[$0].excludedBecause.isEmpty }
        let qualified = eligible.filter { verdicts[$0].clearsBar }
        var chosen: [Int]
        var bestEffort = false
        switch rules.strategy {
        case .cheapestQualified:
            chosen = qualified.sorted { (verdicts[$0].expectedCost, -verdicts[$0].quality, $0) < (verdicts[$1].expectedCost, -verdicts[$1].quality, $1) }
        case .fastest:
            chosen = qualified.sorted {
                (verdicts[$0].ttftP95Milliseconds ?? .infinity, verdicts[$0].expectedCost, $0) < (verdicts[$1].ttftP95Milliseconds ?? .infinity, verdicts[$1].expectedCost, $1)
            }
        case .weighted:
            chosen = qualified
            let total = chosen.reduce(0) { $0 + candidates[$1].trafficPercent }
            if total > 0 {
                var point = draw * Double(total)
                if let first = chosen.firstIndex(where: { point -= Double(candidates[$0].trafficPercent); return point < 0 }) {
                    chosen.insert(chosen.remove(at: first), at: 0)
                }
            }
        case .pinned:
            chosen = qualified
        }
        if chosen.isEmpty && rules.bestEffort && !eligible.isEmpty {
            chosen = eligible.sorted { (-verdicts[$0].quality, verdicts[$0].expectedCost, $0) < (-verdicts[$1].quality, verdicts[$1].expectedCost, $1) }
            bestEffort = true
        }
        var refusal: String?
        if chosen.isEmpty {
            let reasons = verdicts.map { verdict in
                "\(verdict.name): " + (verdict.excludedBecause.isEmpty
                    ? "quality \(format(verdict.quality)) is below the bar \(format(bar))"
                    : verdict.excludedBecause.joined(separator: "; "))
            }
            refusal = "no candidate of the route can take this request (" + reasons.joined(separator: ", ") + ")"
        }
        return Outcome(order: chosen.map { candidates[$0].name }, verdicts: verdicts, bar: bar, bestEffort: bestEffort, refusal: refusal)
    }

    /// A draw in [0, 1) that is a function of `value`, so a user or session keeps its side of a split.
    public static func stickyDraw(_ value: String) -> Double {
        Double(ReplicaPicker.fnv1a(0, value) >> 11) / Double(UInt64(1) << 53)
    }

    /// The most output a request can get from `candidate`: its max_tokens, else the model's limit, else what its context leaves.
    /// The most output tokens the request can be billed for: every choice at its limit.
    public static func outputTokensAtMost(maxOutputTokens: Int?, contextWindow: Int, _ demand: Demand) -> Int {
        let perChoice = demand.maxTokens ?? maxOutputTokens ?? max(0, contextWindow - demand.promptTokens)
        return perChoice.multipliedReportingOverflow(by: demand.choices).overflow ? Int.max / 2 : perChoice * demand.choices
    }

    static func evaluate(_ candidate: Candidate, demand: Demand, rules: Rules, bar: Double) -> Verdict {
        let prompt = Double(demand.promptTokens)
        let expectedOutput = Double(min(demand.maxTokens ?? rules.expectedOutputTokens, rules.expectedOutputTokens) * demand.choices)
        let outputCap = outputTokensAtMost(maxOutputTokens: candidate.maxOutputTokens, contextWindow: candidate.contextWindow, demand)
        let expected = (prompt * candidate.inputPerMTok + expectedOutput * candidate.outputPerMTok) / 1_000_000
        let worst = (Double(demand.promptTokensAtMost) * candidate.inputPerMTok + Double(outputCap) * candidate.outputPerMTok) / 1_000_000
        var excluded: [String] = []
        if let reason = candidate.unavailableReason { excluded.append(reason) }
        if demand.promptTokens + (demand.maxTokens ?? 0) > candidate.contextWindow {
            excluded.append("the prompt (~\(demand.promptTokens) tokens) and max_tokens exceed its context window of \(candidate.contextWindow)")
        }
        if let limit = candidate.maxOutputTokens, let asked = demand.maxTokens, asked > limit {
            excluded.append("max_tokens \(asked) is over its maxOutputTokens \(limit)")
        }
        let missing = candidate.capabilities.isEmpty ? [] : demand.needs.subtracting(candidate.capabilities).sorted()
        if !missing.isEmpty { excluded.append("it lacks \(missing.joined(separator: ", "))") }
        if let ceiling = rules.maxCostPerRequest, worst > ceiling {
            excluded.append("worst case $\(format(worst, digits: 6)) is over the route's maxCostPerRequest $\(format(ceiling, digits: 6))")
        }
        if let slo = rules.ttftP95Milliseconds, let observed = candidate.ttftP95Milliseconds, observed > slo {
            excluded.append("TTFT p95 \(Int(observed.rounded())) ms misses the SLO of \(Int(slo.rounded())) ms")
        }
        if let floor = rules.minTokensPerSecond, let observed = candidate.tokensPerSecond, observed < floor {
            excluded.append("\(format(observed)) tokens/s is under the SLO's \(format(floor))")
        }
        return Verdict(name: candidate.name, quality: candidate.quality, expectedCost: expected, worstCaseCost: worst,
                       ttftP95Milliseconds: candidate.ttftP95Milliseconds, excludedBecause: excluded, clearsBar: candidate.quality >= bar)
    }

    static func format(_ value: Double, digits: Int = 2) -> String {
        String(format: "%.\(digits)f", value)
    }
}
