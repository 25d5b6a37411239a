import Foundation

/// Fits `DifficultyScorer` weights to labelled prompts (logistic regression, L2-regularised, full-batch
/// gradient descent from zero: deterministic), and measures a scorer against labels.
public enum ScorerFit {
    public struct Example: Sendable {
        public var features: RequestFeatures
        public var hard: Bool

        public init(features: RequestFeatures, hard: Bool) {
            self.features = features
            self.hard = hard
        }
    }

    public static func fit(_ examples: [Example], iterations: Int = 4000, learningRate: Double = 0.5, l2: Double = 0.001) -> DifficultyScorer {
        let names = RequestFeatures.names
        let rows = examples.map { example in names.map { example.features[$0] } }
        let labels = examples.map { $0.hard ? 1.0 : 0.0 }
        var weights = [Double](repeating: 0, count: names.count)
        var bias = 0.0
        guard !examples.isEmpty else { return DifficultyScorer(weights: [:], bias: 0) }
        let count = Double(examples.count)
        for _ in 0..<iterations {
            var gradient = [Double](repeating: 0, count: names.count)
            var biasGradient = 0.0
            for (row, label) in zip(rows, labels) {
                var logit = bias
                for index in row.indices { logit += weights[index] * row[index] }
                let error = 1 / (1 + exp(-logit)) - label
                for index in row.indices { gradient[index] += error * row[index] }
                biasGradient += error
            }
            for index in weights.indices { weights[index] -= learningRate * (gradient[index] / count + l2 * weights[index]) }
            bias -= learningRate * biasGradient / count
        }
        return DifficultyScorer(weights: Dictionary(uniqueKeysWithValues: zip(names, weights.map { ($0 * 1000).rounded() / 1000 })),
                                bias: (bias * 1000).rounded() / 1000)
    }

    /// `scorer` with its bias moved so that a share `recall` of the hard examples score at least
    /// `hardQuality`: the score is the quality a request needs, so a hard prompt must demand a model
    /// strong enough for it. Easy prompts move up by the same amount; the ranking does not change.
    public static func calibrate(_ scorer: DifficultyScorer, _ examples: [Example], hardQuality: Double, recall: Double) -> DifficultyScorer {
        let logits = examples.filter(\.hard).map { example in
            RequestFeatures.names.reduce(scorer.bias) { $0 + (scorer.weights[$1] ?? 0) * example.features[$1] }
        }.sorted()
        guard !logits.isEmpty, hardQuality > 0, hardQuality < 1 else { return scorer }
        let index = min(logits.count - 1, max(0, Int((Double(logits.count) * (1 - recall)).rounded(.down))))
        let target = log(hardQuality / (1 - hardQuality))
        var calibrated = scorer
        // Round up, so that rounding never leaves the chosen prompt just under the quality.
        calibrated.bias = ((scorer.bias + target - logits[index]) * 1000).rounded(.up) / 1000
        return calibrated
    }

    /// The area under the ROC curve: the chance that a random hard prompt scores above a random easy one.
    public static func auc(scores: [Double], hard: [Bool]) -> Double {
        let positives = zip(scores, hard).filter { $0.1 }.map(\.0), negatives = zip(scores, hard).filter { !$0.1 }.map(\.0)
        guard !positives.isEmpty, !negatives.isEmpty else { return 0 }
        var wins = 0.0
        for positive in positives {
            for negative in negatives {
                wins += positive > negative ? 1 : positive == negative ? 0.5 : 0
            }
        }
        return wins / Double(positives.count * negatives.count)
    }
}
