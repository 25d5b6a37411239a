import Foundation
import LumenAPI
import LumenManifest
import LumenRouting

extension Gateway {
    /// The route's candidates in the order to try them for this request, and the request's
    /// difficulty score where the strategy uses one. Throws when the route's rules leave no
    /// candidate and the route says `onNoCandidate: reject` (or none meets the hard constraints).
    func select(_ route: RouteSpec, models: [ServedModel], body: JSONValue, endpoint: Endpoint) throws(OpenAIError) -> (candidates: [ServedModel], score: Double?) {
        // Embeddings have no difficulty and no output: the listed order (or the split) is the choice.
        let features = endpoint == .embeddings ? RequestFeatures(values: [:], promptTokens: 0) : RequestFeatures(body: body)
        let scored = endpoint != .embeddings && (route.strategy == .cheapestQualified || route.strategy == .fastest)
        let scorer = route.scorer.map { DifficultyScorer(weights: $0.weights.values, bias: $0.bias) } ?? .standard
        let score = scored ? scorer.score(features).value : nil
        let demand = CandidateSelection.Demand(promptTokens: features.promptTokens, maxTokens: Self.tokensLeft(body, after: 0),
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
        return (outcome.order.compactMap { byName[$0] }, score)
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
