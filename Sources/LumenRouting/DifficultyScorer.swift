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

    /// Hand-set weights: an everyday question scores about 0.1, a proof or a program with
    /// requirements 0.6 and up.
    public static let standard = DifficultyScorer(weights: [
        "length": 2.0, "code": 2.5, "math": 3.0, "reasoning": 2.5, "steps": 1.2, "constraints": 1.2,
        "questions": 0.6, "depth": 0.8, "structured": 1.0, "language": 0.5,
    ], bias: -2.2)

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
