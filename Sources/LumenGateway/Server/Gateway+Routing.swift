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
        /// The most tokens (prompt and every choice's output) it can use on any candidate: what a key's TPM holds.
        var worstCaseTokens: Int
        /// The prompt's tokens as estimated from its text: what a stream cut off before its usage is billed for.
        var promptEstimate: Int
        var prefixKey: UInt64?
    }

    /// The route's candidates in the order to try them for this request, and the request's
    /// difficulty score where the strategy uses one. Throws when the route's rules leave no
    /// candidate and the route says `onNoCandidate: reject` (or none meets the hard constraints).
    /// `sticky` is the value a weighted route's `stickyBy` names (the `user` field or a header), if the request has it.
    func select(_ route: RouteSpec, models: [ServedModel], body: JSONValue, endpoint: Endpoint, sticky: String?) throws(OpenAIError) -> Choice {
        let features = Self.features(body, endpoint)
        let rules = CandidateSelection.Rules(route: route)
        let score = endpoint != .embeddings && rules.strategy.scores ? DifficultyScorer(route: route).score(features).value : nil
        let demand = CandidateSelection.Demand(body: body, features: features, score: score)
        let candidates = models.map { model in
            let observed = health.observed(model.upstreams.map(\.id))
            return CandidateSelection.Candidate(name: model.name, spec: model.spec, ttftP95Milliseconds: observed.ttftP95,
                                                tokensPerSecond: observed.tokensPerSecond, trafficPercent: route.traffic?[model.name] ?? 0)
        }
        let draw = sticky.map(CandidateSelection.stickyDraw) ?? Double.random(in: 0..<1)
        let outcome = CandidateSelection.choose(candidates, for: demand, rules: rules, draw: draw)
        if let refusal = outcome.refusal {
            throw .invalidRequest(refusal + "; lower max_tokens, pin a model, or change the route's rules", param: "model", code: "no_qualified_model")
        }
        let chosen = outcome.order.compactMap { name in models.first { $0.name == name } }
        return Self.choice(chosen, demand: demand, features: features, score: score)
    }

    /// A request that names `model` itself.
    func pinned(to model: ServedModel, body: JSONValue, endpoint: Endpoint) -> Choice {
        let features = Self.features(body, endpoint)
        return Self.choice([model], demand: CandidateSelection.Demand(body: body, features: features, score: nil), features: features, score: nil)
    }

    private static func choice(_ models: [ServedModel], demand: CandidateSelection.Demand, features: RequestFeatures, score: Double?) -> Choice {
        Choice(candidates: models, score: score, worstCase: worstCase(models, demand), worstCaseTokens: worstCaseTokens(models, demand),
               promptEstimate: features.promptTokens, prefixKey: features.prefixKey)
    }

    /// A model's replicas in the order a new request tries them: by prefix affinity and load, or in turn.
    /// This agent's own replicas come before peer agents (another hop, for when they are full or starting).
    func replicasInTurn(_ model: ServedModel, prefixKey: UInt64?) -> [Upstream] {
        if let pool = model.pool, case let local = pool.ready, !local.isEmpty {
            let ordered = order(local, prefixKey: prefixKey) ?? model.inTurn(local)
            return hasRoom(pool) || model.fixedUpstreams.isEmpty ? ordered + model.fixedUpstreams : model.fixedUpstreams + ordered
        }
        return order(model.upstreams, prefixKey: prefixKey) ?? model.inTurn(model.upstreams)
    }

    /// `upstreams` by prefix affinity and load; nil when that choice is off or there is nothing to choose.
    private func order(_ upstreams: [Upstream], prefixKey: UInt64?) -> [Upstream]? {
        guard configuration.replicaChoice == .prefixAffinity, upstreams.count > 1 else { return nil }
        let loads = health.inFlight(upstreams.map(\.id))
        let replicas = zip(upstreams, loads).map { ReplicaPicker.Replica(id: $0.id, inFlight: $1) }
        let order = ReplicaPicker.order(replicas, prefixKey: prefixKey, draw: UInt64.random(in: 0 ... .max))
        return order.compactMap { id in upstreams.first { $0.id == id } }
    }

    /// Embeddings have no difficulty and no output: only their input's size counts.
    private static func features(_ body: JSONValue, _ endpoint: Endpoint) -> RequestFeatures {
        endpoint == .embeddings ? RequestFeatures(embeddingsBody: body) : RequestFeatures(body: body)
    }

    private static func worstCaseTokens(_ models: [ServedModel], _ demand: CandidateSelection.Demand) -> Int {
        models.map { model in
            demand.promptTokensAtMost + CandidateSelection.outputTokensAtMost(
                maxOutputTokens: model.spec.maxOutputTokens, contextWindow: model.spec.contextWindow, demand)
        }.max() ?? demand.promptTokensAtMost
    }

    /// In exact decimal money, so that a budget of N worst cases admits exactly N requests.
    private static func worstCase(_ models: [ServedModel], _ demand: CandidateSelection.Demand) -> Decimal {
        models.map { model in
            let output = CandidateSelection.outputTokensAtMost(
                maxOutputTokens: model.spec.maxOutputTokens, contextWindow: model.spec.contextWindow, demand)
            return model.spec.pricing.cost(prompt: demand.promptTokensAtMost, completion: output, cached: 0)
        }.max() ?? 0
    }
}
