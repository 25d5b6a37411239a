import Foundation
import LumenAPI
import LumenManifest
import LumenRouting

extension Gateway {
    /// The route's candidates in the order to try them for this request, and the request's
    /// difficulty score where the strategy uses one. Throws when the route's rules leave no
    /// candidate and the route says `onNoCandidate: reject` (or none meets the hard constraints).
    /// What routing decided for one request.
    struct Choice {
        var candidates: [ServedModel]
        var score: Double?
        /// The most the request can cost on any of the candidates: what budgets reserve.
        var worstCase: Decimal
    }

    func select(_ route: RouteSpec, models: [ServedModel], body: JSONValue, endpoint: Endpoint) throws(OpenAIError) -> Choice {
        // Embeddings have no difficulty and no output: the listed order (or the split) is the choice.
        let features = endpoint == .embeddings ? RequestFeatures(values: [:], promptTokens: 0) : RequestFeatures(body: body)
        let scored = endpoint != .embeddings && (route.strategy == .cheapestQualified || route.strategy == .fastest)
        let scorer = route.scorer.map { DifficultyScorer(weights: $0.weights.values, bias: $0.bias) } ?? .standard
        let score = scored ? scorer.score(features).value : nil
        let demand = CandidateSelection.Demand(promptTokens: features.promptTokens, promptTokensAtMost: features.promptTokensAtMost,
                                               maxTokens: Self.tokensLeft(body, after: 0),
                                               needs: Self.needs(body), score: score)
        let rules = CandidateSelection.Rules(
            strategy: CandidateSelection.Strategy(rawValue: route.strategy.rawValue) ?? .pinned, qualityBar: route.qualityBar,
            maxCostPerRequest: route.budget?.maxCostPerRequest.map { NSDecimalNumber(decimal: $0.amount).doubleValue },
            ttftP95Milliseconds: route.slo?.ttftP95?.duration.milliseconds, minTokensPerSecond: route.slo?.minTokensPerSecond,
            bestEffort: route.onNoCandidate == .bestEffort)
        let candidates = models.map { model in
            let observed = health.observed(model.upstreams.map(\.id))
            return CandidateSelection.Candidate(
                name: model.name, quality: model.spec.quality,
                inputPerMTok: NSDecimalNumber(decimal: model.spec.pricing.inputPerMTok.amount).doubleValue,
                outputPerMTok: NSDecimalNumber(decimal: model.spec.pricing.outputPerMTok.amount).doubleValue,
                contextWindow: model.spec.contextWindow, maxOutputTokens: model.spec.maxOutputTokens,
                capabilities: Set(model.spec.capabilities.map(\.rawValue)), ttftP95Milliseconds: observed.ttftP95,
                tokensPerSecond: observed.tokensPerSecond, trafficPercent: route.traffic?[model.name] ?? 0)
        }
        let outcome = CandidateSelection.choose(candidates, for: demand, rules: rules, draw: Double.random(in: 0..<1))
        if let refusal = outcome.refusal {
            throw .invalidRequest(refusal + "; lower max_tokens, pin a model, or change the route's rules", param: "model", code: "no_qualified_model")
        }
        let byName = Dictionary(models.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        let chosen = outcome.order.compactMap { byName[$0] }
        // In exact decimal money, so that a budget of N worst cases admits exactly N requests.
        let worstCase = zip(candidates, models).filter { outcome.order.contains($0.0.name) }.map { candidate, model in
            Self.cost(model.spec.pricing, prompt: demand.promptTokensAtMost,
                      completion: CandidateSelection.outputTokensAtMost(candidate, demand), cached: 0)
        }.max() ?? 0
        return Choice(candidates: chosen, score: score, worstCase: worstCase)
    }

    /// The capabilities a request needs from the model that answers it.
    static func needs(_ body: JSONValue) -> Set<String> {
        var needs: Set<String> = []
        if body["tools"]?.arrayValue.map({ !$0.isEmpty }) == true { needs.insert("tools") }
        if let format = body["response_format"]?["type"]?.stringValue, format == "json_object" || format == "json_schema" { needs.insert("json") }
        let parts = body["messages"]?.arrayValue?.flatMap { $0["content"]?.arrayValue ?? [] } ?? []
        if parts.contains(where: { $0["type"]?.stringValue == "image_url" }) { needs.insert("vision") }
        return needs
    }
}
