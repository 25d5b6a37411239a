import Foundation
import LumenAPI
import LumenManifest
import LumenRouting

extension Gateway {
    /// What routing decided for one request.
    struct Choice {
        var candidates: [ServedModel]
        var score: Double?
        /// The most the request can cost on any of the candidates: what budgets reserve.
        var worstCase: Decimal
    }

    /// The route's candidates in the order to try them for this request, and the request's
    /// difficulty score where the strategy uses one. Throws when the route's rules leave no
    /// candidate and the route says `onNoCandidate: reject` (or none meets the hard constraints).
    func select(_ route: RouteSpec, models: [ServedModel], body: JSONValue, endpoint: Endpoint) throws(OpenAIError) -> Choice {
        let features = Self.features(body, endpoint)
        let scored = endpoint != .embeddings && (route.strategy == .cheapestQualified || route.strategy == .fastest)
        let scorer = route.scorer.map { DifficultyScorer(weights: $0.weights.values, bias: $0.bias) } ?? .standard
        let score = scored ? scorer.score(features).value : nil
        let demand = Self.demand(body, features, score: score)
        let rules = CandidateSelection.Rules(
            strategy: CandidateSelection.Strategy(rawValue: route.strategy.rawValue) ?? .pinned, qualityBar: route.qualityBar,
            maxCostPerRequest: route.budget?.maxCostPerRequest.map { NSDecimalNumber(decimal: $0.amount).doubleValue },
            ttftP95Milliseconds: route.slo?.ttftP95?.duration.milliseconds, minTokensPerSecond: route.slo?.minTokensPerSecond,
            bestEffort: route.onNoCandidate == .bestEffort)
        let candidates = models.map { candidate($0, trafficPercent: route.traffic?[$0.name] ?? 0) }
        let outcome = CandidateSelection.choose(candidates, for: demand, rules: rules, draw: Double.random(in: 0..<1))
        if let refusal = outcome.refusal {
            throw .invalidRequest(refusal + "; lower max_tokens, pin a model, or change the route's rules", param: "model", code: "no_qualified_model")
        }
        let chosen = outcome.order.compactMap { name in models.first { $0.name == name } }
        return Choice(candidates: chosen, score: score, worstCase: Self.worstCase(chosen, demand))
    }

    /// The most a request pinned to `model` can cost.
    func worstCase(pinnedTo model: ServedModel, body: JSONValue, endpoint: Endpoint) -> Decimal {
        Self.worstCase([model], Self.demand(body, Self.features(body, endpoint), score: nil))
    }

    /// Embeddings have no difficulty and no output: their features are empty.
    private static func features(_ body: JSONValue, _ endpoint: Endpoint) -> RequestFeatures {
        endpoint == .embeddings ? RequestFeatures(values: [:], promptTokens: 0) : RequestFeatures(body: body)
    }

    private static func demand(_ body: JSONValue, _ features: RequestFeatures, score: Double?) -> CandidateSelection.Demand {
        CandidateSelection.Demand(promptTokens: features.promptTokens, promptTokensAtMost: features.promptTokensAtMost,
                                  maxTokens: tokensLeft(body, after: 0), needs: needs(body), score: score)
    }

    private func candidate(_ model: ServedModel, trafficPercent: Int) -> CandidateSelection.Candidate {
        let observed = health.observed(model.upstreams.map(\.id))
        return CandidateSelection.Candidate(
            name: model.name, quality: model.spec.quality,
            inputPerMTok: NSDecimalNumber(decimal: model.spec.pricing.inputPerMTok.amount).doubleValue,
            outputPerMTok: NSDecimalNumber(decimal: model.spec.pricing.outputPerMTok.amount).doubleValue,
            contextWindow: model.spec.contextWindow, maxOutputTokens: model.spec.maxOutputTokens,
            capabilities: Set(model.spec.capabilities.map(\.rawValue)), ttftP95Milliseconds: observed.ttftP95,
            tokensPerSecond: observed.tokensPerSecond, trafficPercent: trafficPercent)
    }

    /// In exact decimal money, so that a budget of N worst cases admits exactly N requests.
    private static func worstCase(_ models: [ServedModel], _ demand: CandidateSelection.Demand) -> Decimal {
        models.map { model in
            let output = CandidateSelection.outputTokensAtMost(
                maxOutputTokens: model.spec.maxOutputTokens, contextWindow: model.spec.contextWindow, demand)
            return cost(model.spec.pricing, prompt: demand.promptTokensAtMost, completion: output, cached: 0)
        }.max() ?? 0
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
