import Foundation

/// A request's difficulty in [0, 1]: a logistic model over `RequestFeatures`. Its weights are data
/// (a default set, a route's own, or ones `lumenctl scorer fit` learned), so the score explains itself:
/// each feature's contribution is its value times its weight.
public struct DifficultyScorer: Sendable, Equatable {
    public var weights: [String: Double]
    public var bias: Double

    public init(weights: [String: Double], bias: Double) {
        self.weights = weights
        self.bias = bias
    }

    /// Fitted with `lumenctl scorer fit` to `Benchmarks/routing/labeled.jsonl` (200 prompts, 10 domains)
    /// and calibrated so that 95% of its hard prompts score at least 0.75. That set has no
    /// conversations or tools, so `depth` and `structured` are set by hand. Fit your own for your traffic.
    public static let standard = DifficultyScorer(weights: [
        "length": 2.559, "code": 2.414, "math": 6.015, "reasoning": 6.034, "steps": 2.467, "constraints": 3.003,
        "questions": -5.534, "simple": -2.146, "depth": 0.8, "structured": 1.0, "language": -0.429,
    ], bias: 2.075)

    public struct Score: Sendable, Equatable {
        public var value: Double
        /// Each feature's share of the logit (value × weight), largest first; zeros left out.
        public var contributions: [(feature: String, amount: Double)]

        public static func == (lhs: Score, rhs: Score) -> Bool {
            lhs.value == rhs.value && lhs.contributions.elementsEqual(rhs.contributions) { $0 == $1 }
        }
    }

    public func score(_ features: RequestFeatures) -> Score {
        var logit = bias
        var contributions: [(feature: String, amount: Double)] = []
        for name in RequestFeatures.names {
            let amount = (weights[name] ?? 0) * features[name]
            logit += amount
            if amount != 0 { contributions.append((name, amount)) }
        }
        contributions.sort { abs($0.amount) > abs($1.amount) }
        return Score(value: 1 / (1 + exp(-logit)), contributions: contributions)
    }
}
