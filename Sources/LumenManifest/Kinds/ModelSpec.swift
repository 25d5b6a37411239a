public import LumenAPI
/// Something that answers requests: a provider's model, or replicas this fleet runs.
public struct ModelSpec: Codable, Sendable, Hashable {
    public enum Capability: String, CaseIterable, Codable, Sendable {
        case tools, json, vision, embeddings
    }

    public struct Latency: Codable, Sendable, Hashable {
        public var ttftP95: LumenDuration?
        public var tokensPerSecond: Double?
    }

    /// USD per million tokens.
    public struct Pricing: Codable, Sendable, Hashable {
        public var inputPerMTok: USD
        public var outputPerMTok: USD
        public var cachedInputPerMTok: USD
    }

    public var provider: String?
    public var upstreamModel: String?
    public var deployment: Deployment?
    public var pricing: Pricing
    public var quality: Double
    public var contextWindow: Int
    public var maxOutputTokens: Int?
    /// Expected speed, the prior a route's SLO is checked against until the agent has observed the model.
    public var latency: Latency?
    public var capabilities: [Capability]

    static func read(_ object: inout ObjectReader, name: String) -> ModelSpec? {
        let provider = object.optional("provider") { $0.name() }
        var upstreamModel = object.optional("upstreamModel") { $0.string() }
        let deployment = object.nested("deployment") { Deployment.read(&$0) }
        switch (object.has("provider"), object.has("deployment")) {
        case (true, true):
            object.report("deployment", "set either provider (a remote API) or deployment (replicas this fleet runs), not both")
        case (false, false):
            object.scope.report(object.node, object.path,
                                "a model needs either provider (with upstreamModel) or deployment (endpoints or an engine)")
        case (false, true) where object.has("upstreamModel"):
            object.report("upstreamModel", "upstreamModel applies only to a provider's model; remove it or set provider")
        default:
            break
        }
        if provider != nil && upstreamModel == nil { upstreamModel = name }

        let pricing = object.required("pricing", expected: "inputPerMTok and outputPerMTok in USD")?.object { fields -> Pricing? in
            let input = fields.required("inputPerMTok", expected: "USD per million input tokens")?.usd()
            let output = fields.required("outputPerMTok", expected: "USD per million output tokens")?.usd()
            let cached = fields.optional("cachedInputPerMTok") { $0.usd() }
            guard let input, let output else { return nil }
            return Pricing(inputPerMTok: input, outputPerMTok: output, cachedInputPerMTok: cached ?? input)
        }
        let quality = object.required("quality", expected: "a number from 0 to 1")?.score()
        let contextWindow = object.required("contextWindow", expected: "the context length in tokens")?
            .int(in: 1...100_000_000, expected: "a token count from 1 to 100000000")
        let maxOutputTokens = object.optional("maxOutputTokens") {
            $0.int(in: 1...100_000_000, expected: "a token count from 1 to 100000000")
        }
        if let maxOutputTokens, let contextWindow, maxOutputTokens > contextWindow {
            object.report("maxOutputTokens", "maxOutputTokens (\(maxOutputTokens)) cannot exceed contextWindow (\(contextWindow))")
        }
        let latency = object.nested("latency") { fields -> Latency? in
            Latency(
                ttftP95: fields.optional("ttftP95") { $0.duration() },
                tokensPerSecond: fields.optional("tokensPerSecond") {
                    $0.number(in: 0.001...1_000_000, expected: "a positive number of tokens per second")
                }
            )
        }
        let capabilities = object.value("capabilities", default: []) { reader in
            reader.list { $0.oneOf(Capability.self) }.map(uniqueInOrder)
        }

        guard let pricing, let quality, let contextWindow else { return nil }
        return ModelSpec(
            provider: provider, upstreamModel: upstreamModel, deployment: deployment, pricing: pricing,
            quality: quality, contextWindow: contextWindow, maxOutputTokens: maxOutputTokens, latency: latency,
            capabilities: capabilities
        )
    }
}

func uniqueInOrder<T: Hashable>(_ items: [T]) -> [T] {
    var seen: Set<T> = []
    return items.filter { seen.insert($0).inserted }
}
