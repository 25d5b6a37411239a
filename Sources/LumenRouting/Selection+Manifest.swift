public import LumenAPI
public import LumenManifest
import Foundation

extension CandidateSelection.Candidate {
    /// A model as a route's candidate, with what its agent has observed of it; until it has, the
    /// manifest's `latency` stands in.
    public init(name: String, spec: ModelSpec, ttftP95Milliseconds: Double? = nil, tokensPerSecond: Double? = nil, trafficPercent: Int = 0) {
        let ttftP95Milliseconds = ttftP95Milliseconds ?? spec.latency?.ttftP95.map { Double($0.milliseconds) }
        let tokensPerSecond = tokensPerSecond ?? spec.latency?.tokensPerSecond
        self.init(name: name, quality: spec.quality, inputPerMTok: NSDecimalNumber(decimal: spec.pricing.inputPerMTok.amount).doubleValue,
                  outputPerMTok: NSDecimalNumber(decimal: spec.pricing.outputPerMTok.amount).doubleValue,
                  contextWindow: spec.contextWindow, maxOutputTokens: spec.maxOutputTokens,
                  capabilities: Set(spec.capabilities.map(\.rawValue)), ttftP95Milliseconds: ttftP95Milliseconds,
                  tokensPerSecond: tokensPerSecond, trafficPercent: trafficPercent)
    }
}

extension CandidateSelection.Rules {
    public init(route: RouteSpec) {
        self.init(strategy: CandidateSelection.Strategy(rawValue: route.strategy.rawValue) ?? .pinned, qualityBar: route.qualityBar,
                  maxCostPerRequest: route.budget?.maxCostPerRequest.map { NSDecimalNumber(decimal: $0.amount).doubleValue },
                  ttftP95Milliseconds: route.slo?.ttftP95.map { Double($0.milliseconds) }, minTokensPerSecond: route.slo?.minTokensPerSecond,
                  bestEffort: route.onNoCandidate == .bestEffort)
    }
}

extension CandidateSelection.Strategy {
    /// Whether the strategy scores requests (and raises the quality bar by the score).
    public var scores: Bool { self == .cheapestQualified || self == .fastest }
}

extension CandidateSelection.Demand {
    /// What a chat or completions request body asks for.
    public init(body: JSONValue, features: RequestFeatures, score: Double?) {
        var needs: Set<String> = []
        if body["tools"]?.arrayValue.map({ !$0.isEmpty }) == true { needs.insert("tools") }
        if let format = body["response_format"]?["type"]?.stringValue, format == "json_object" || format == "json_schema" { needs.insert("json") }
        let parts = body["messages"]?.arrayValue?.flatMap { $0["content"]?.arrayValue ?? [] } ?? []
        if parts.contains(where: { $0["type"]?.stringValue == "image_url" }) { needs.insert("vision") }
        self.init(promptTokens: features.promptTokens, promptTokensAtMost: features.promptTokensAtMost,
                  maxTokens: body["max_completion_tokens"]?.intValue ?? body["max_tokens"]?.intValue, needs: needs, score: score,
                  choices: Self.choices(body))
    }

    /// How many answers a body asks for: `n` (or completions' larger `best_of`) for each prompt of a batch.
    public static func choices(_ body: JSONValue) -> Int {
        let perPrompt = max(body["n"]?.intValue ?? 1, body["best_of"]?.intValue ?? 1, 1)
        // A completions batch: a list of strings or of token lists (a single token list is one prompt).
        let prompts = body["prompt"]?.arrayValue.map { list in list.allSatisfy { $0.intValue != nil } ? 1 : list.count } ?? 1
        return min(perPrompt, 1 << 16) * min(max(prompts, 1), 1 << 16)
    }
}

extension DifficultyScorer {
    /// The route's own weights, or the standard ones.
    public init(route: RouteSpec) {
        self = route.scorer.map { DifficultyScorer(weights: $0.weights.values, bias: $0.bias) } ?? .standard
    }
}
