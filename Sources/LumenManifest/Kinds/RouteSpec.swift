public import LumenAPI
import Foundation
/// What a client addresses as `model: "lumen/<route>"`: candidates and the rules for choosing one.
public struct RouteSpec: Codable, Sendable, Hashable {
    public enum Strategy: String, CaseIterable, Codable, Sendable {
        case cheapestQualified = "cheapest-qualified"
        case fastest
        case weighted
        case pinned
    }

    public enum NoCandidatePolicy: String, CaseIterable, Codable, Sendable {
        case bestEffort = "best-effort"
        case reject
    }

    public enum Retention: String, CaseIterable, Codable, Sendable {
        case standard
        /// Prompts and completions never reach disk; only measures are kept.
        case zero
    }

    /// Difficulty-scorer weights: feature name → weight, plus a bias.
    public struct Scorer: Codable, Sendable, Hashable {
        public var weights: SortedMap<Double>
        public var bias: Double

        /// The request features the difficulty scorer measures, each in [0, 1].
        public static let featureNames = ["length", "code", "math", "reasoning", "steps", "constraints", "questions", "simple", "depth",
                                           "structured", "language"]

        public init(weights: SortedMap<Double>, bias: Double) {
            self.weights = weights
            self.bias = bias
        }
    }

    public struct Budget: Codable, Sendable, Hashable {
        public var maxCostPerRequest: USD?
        public var daily: USD?
        public var monthly: USD?
    }

    public struct SLO: Codable, Sendable, Hashable {
        public var ttftP95: LumenDuration?
        public var minTokensPerSecond: Double?
    }

    public struct Failover: Codable, Sendable, Hashable {
        public var maxAttempts = 3
        public var stallTimeout = LumenDuration.seconds(10)
        /// `nil`: hedge after the upstream's observed TTFT p95.
        public var hedgeAfter: LumenDuration?
        public var midStream = true

        public init() {}
    }

    public var candidates: [String]
    public var strategy: Strategy
    public var qualityBar: Double
    public var scorer: Scorer?
    public var onNoCandidate: NoCandidatePolicy
    /// Percent of traffic per candidate, for `strategy: weighted`.
    public var traffic: SortedMap<Int>?
    /// Keeps a user or session on one side of a weighted split: `user` (the request's `user` field)
    /// or the name of a request header, such as `x-session-id`.
    public var stickyBy: String?
    public var budget: Budget?
    public var slo: SLO?
    public var failover: Failover
    public var retention: Retention

    static func read(_ object: inout ObjectReader) -> RouteSpec? {
        let candidates = object.required("candidates", expected: "a list of model names")?.list { $0.name() }
        if let candidates {
            if candidates.isEmpty { object.report("candidates", "expected at least one model name") }
            var seen: Set<String> = []
            for (index, name) in candidates.enumerated() where !seen.insert(name).inserted {
                let path = object.path.appending("candidates").appending(index: index)
                object.scope.sink.report(object.scope.fieldLocations[path.description], path,
                                         "model \"\(name)\" is listed twice; list each candidate once")
            }
        }
        let strategy = object.value("strategy", default: Strategy.cheapestQualified) { $0.oneOf(Strategy.self) }
        let qualityBar = object.value("qualityBar", default: 0) { $0.score() }
        let scorer = object.nested("scorer") { fields -> Scorer? in
            let weights = fields.required("weights", expected: "feature names mapped to numbers")?.map(
                key: Scorer.featureNames.contains, keyRule: "one of the scorer's features (\(Scorer.featureNames.joined(separator: ", ")))"
            ) { $0.number(in: -1000...1000, expected: "a number from -1000 to 1000") }
            let bias = fields.value("bias", default: 0) { $0.number(in: -1000...1000, expected: "a number from -1000 to 1000") }
            guard let weights else { return nil }
            return Scorer(weights: SortedMap(weights), bias: bias)
        }
        let onNoCandidate = object.value("onNoCandidate", default: NoCandidatePolicy.bestEffort) { $0.oneOf(NoCandidatePolicy.self) }
        let traffic = object.optional("traffic") { reader -> [String: Int]? in
            guard let weights = reader.map(key: ManifestName.isValid, keyRule: "a candidate model name", { $0.int(in: 0...100) })
            else { return nil }
            for name in weights.keys.sorted() where !(candidates ?? []).contains(name) {
                reader.scope.report(reader.node, reader.path.appending(name),
                                    "\"\(name)\" is not one of this route's candidates; add it to candidates or remove it here")
            }
            let total = weights.values.reduce(0, +)
            if total != 100 { reader.scope.report(reader.node, reader.path, "traffic percentages must add up to 100, they add up to \(total)") }
            return weights
        }
        if strategy == .weighted && !object.has("traffic") {
            object.scope.report(object.node, object.path.appending("traffic"),
                                "required field is missing (strategy weighted needs traffic percentages per candidate)")
        } else if strategy != .weighted && object.has("traffic") {
            object.report("traffic", "traffic applies only to strategy weighted; set strategy: weighted or remove traffic")
        }
        let stickyBy = object.optional("stickyBy") { reader -> String? in
            guard let text = reader.string(expected: "user, or a request header's name such as x-session-id") else { return nil }
            guard !text.isEmpty, text.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) else {
                reader.scope.report(reader.node, reader.path, "expected user, or a request header's name such as x-session-id, got \(text)")
                return nil
            }
            return text.lowercased()
        }
        if strategy != .weighted && object.has("stickyBy") {
            object.report("stickyBy", "stickyBy applies only to strategy weighted; set strategy: weighted or remove stickyBy")
        }
        let budget = object.nested("budget") { fields -> Budget? in
            Budget(
                maxCostPerRequest: fields.optional("maxCostPerRequest") { $0.positiveUSD() },
                daily: fields.optional("daily") { $0.positiveUSD() },
                monthly: fields.optional("monthly") { $0.positiveUSD() }
            )
        }
        if let daily = budget?.daily, let monthly = budget?.monthly, daily > monthly {
            object.report("budget", "the daily budget (\(daily)) is larger than the monthly budget (\(monthly))")
        }
        let slo = object.nested("slo") { fields -> SLO? in
            SLO(
                ttftP95: fields.optional("ttftP95") { $0.duration() },
                minTokensPerSecond: fields.optional("minTokensPerSecond") {
                    $0.number(in: 0.001...1_000_000, expected: "a positive number of tokens per second")
                }
            )
        }
        var failover = Failover()
        _ = object.nested("failover") { fields -> Void? in
            failover.maxAttempts = fields.value("maxAttempts", default: failover.maxAttempts) { $0.int(in: 1...10) }
            failover.stallTimeout = fields.value("stallTimeout", default: failover.stallTimeout) { $0.duration() }
            failover.hedgeAfter = fields.optional("hedgeAfter") { $0.duration() }
            failover.midStream = fields.value("midStream", default: failover.midStream) { $0.bool() }
            return ()
        }
        let retention = object.value("retention", default: Retention.standard) { $0.oneOf(Retention.self) }

        guard let candidates else { return nil }
        return RouteSpec(
            candidates: candidates, strategy: strategy, qualityBar: qualityBar, scorer: scorer,
            onNoCandidate: onNoCandidate, traffic: traffic.map(SortedMap.init), stickyBy: stickyBy, budget: budget, slo: slo,
            failover: failover, retention: retention
        )
    }
}

extension ValueReader {
    func positiveUSD() -> USD? {
        guard let value = usd() else { return nil }
        guard value.amount > 0 else {
            fail("an amount in USD greater than zero")
            return nil
        }
        return value
    }
}
