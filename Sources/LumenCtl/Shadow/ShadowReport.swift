public import Foundation
public import LumenManifest
public import LumenStore
import LumenRouting

/// What a shadow test found: both sides' speed, errors and cost, how far their answers agree, and
/// whether the candidate clears the test's thresholds. Built from the recorded pairs alone, so the
/// terminal table, `-o json` and the HTML page all say the same thing.
public struct ShadowReport: Sendable, Encodable {
    /// Fewer pairs than this say too little to promote or hold on.
    public static let minimumPairs = 10
    /// How many example pairs the report shows.
    public static let exampleCount = 5
    /// Prompts are cut to this many characters: enough to recognise the request.
    static let promptLimit = 280

    public var name: String
    public var route: String
    /// The candidate as the test names it (a Model).
    public var candidateModel: String
    public var sampleRate: Double
    public var thresholds: ShadowTestSpec.Thresholds
    public var pairs: Int
    /// Pairs where both sides answered; agreement and the examples come from these only.
    public var comparedPairs: Int
    /// ISO 8601 time of the first and last recorded pair.
    public var firstAt: String?
    public var lastAt: String?
    public var primary: SideSummary
    public var candidate: SideSummary
    public var ratios: Ratios
    public var agreement: AgreementSummary
    public var verdict: Verdict
    public var examples: [Example]
    /// End-to-end latency of each compared pair, for the HTML scatter chart (not part of the JSON).
    var latencyPoints: [LatencyPoint]

    private enum CodingKeys: String, CodingKey {
        case name, route, candidateModel, sampleRate, thresholds, pairs, comparedPairs, firstAt, lastAt, primary, candidate, ratios,
             agreement, verdict, examples
    }

    public init(name: String, spec: ShadowTestSpec, pairs: [ShadowPair]) {
        self.name = name
        route = spec.route
        candidateModel = spec.candidate
        sampleRate = spec.sampleRate
        thresholds = spec.thresholds
        self.pairs = pairs.count
        let compared = pairs.filter { !$0.primary.failed && !$0.candidate.failed }
        comparedPairs = compared.count
        firstAt = pairs.map(\.at).min()
        lastAt = pairs.map(\.at).max()
        primary = SideSummary(pairs.map(\.primary))
        candidate = SideSummary(pairs.map(\.candidate))
        ratios = Ratios(primary: primary, candidate: candidate)
        agreement = AgreementSummary(compared.map(\.measures))
        verdict = Verdict(pairs: pairs.count, compared: compared.count, primary: primary, candidate: candidate, ratios: ratios,
                          agreement: agreement, thresholds: spec.thresholds)
        examples = Example.pick(from: compared)
        latencyPoints = compared.map {
            LatencyPoint(primaryMilliseconds: $0.primary.durationMilliseconds, candidateMilliseconds: $0.candidate.durationMilliseconds,
                         agreement: $0.measures.agreement)
        }
    }

    /// The report as pretty-printed JSON with sorted keys (stable to diff), for `-o json`.
    public func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(self), as: UTF8.self) + "\n"
    }
}

// MARK: - Sides

extension ShadowReport {
    /// Median and tail of a measure; nil where nothing was measured.
    public struct Spread: Sendable, Encodable, Hashable {
        public var p50: Double?
        public var p95: Double?

        init(_ values: [Double]) {
            p50 = Statistics.percentile(values, 0.5)
            p95 = Statistics.percentile(values, 0.95)
        }
    }

    /// How many pairs one model served.
    public struct ModelShare: Sendable, Encodable, Hashable {
        public var model: String
        public var pairs: Int
    }

    /// One side's speed, errors and cost over all pairs. Timings count answered requests only, so a
    /// fast failure does not flatter a side; cost counts every request, as the bill does.
    public struct SideSummary: Sendable, Encodable, Hashable {
        /// Most pairs first; a route may send its primary traffic to several models.
        public var models: [ModelShare]
        public var pairs: Int
        public var completed: Int
        public var failed: Int
        /// Failed ÷ pairs, 0–1.
        public var errorRate: Double
        public var ttftMilliseconds: Spread
        public var latencyMilliseconds: Spread
        /// Median of each answered pair's tokens per second after the first token.
        public var tokensPerSecond: Double?
        /// Exact sum of the recorded costs.
        public var totalCost: USD
        /// Rounded to nine decimal places (a billionth of a dollar).
        public var costPerRequest: USD
        /// Rounded to six decimal places, so it is `costPerRequest` × 1000 exactly.
        public var costPer1kRequests: USD

        init(_ sides: [ShadowPair.Side]) {
            var counts: [String: Int] = [:]
            for side in sides { counts[side.model ?? "unknown", default: 0] += 1 }
            models = counts.map { ModelShare(model: $0.key, pairs: $0.value) }
                .sorted { ($0.pairs, $1.model) > ($1.pairs, $0.model) }
            pairs = sides.count
            let answered = sides.filter { !$0.failed }
            completed = answered.count
            failed = sides.count - answered.count
            errorRate = sides.isEmpty ? 0 : Double(failed) / Double(sides.count)
            ttftMilliseconds = Spread(answered.compactMap(\.ttftMilliseconds))
            latencyMilliseconds = Spread(answered.map(\.durationMilliseconds))
            tokensPerSecond = Statistics.percentile(answered.compactMap(\.tokensPerSecond), 0.5)
            let total = sides.reduce(Decimal(0)) { $0 + Self.cost($1.cost) }
            totalCost = USD(total)
            let count = Decimal(max(sides.count, 1))
            costPerRequest = USD((total / count).rounded(places: 9))
            costPer1kRequests = USD((total * 1000 / count).rounded(places: 6))
        }

        /// A recorded cost; text that is not a plain decimal counts as nothing rather than failing the report.
        static func cost(_ text: String) -> Decimal {
            USD(parsing: text)?.amount ?? Decimal(string: text, locale: Locale(identifier: "en_US_POSIX")) ?? 0
        }
    }

    /// Candidate ÷ primary; nil where the primary's value is missing or zero.
    public struct Ratios: Sendable, Encodable, Hashable {
        public var ttftP95: Double?
        public var latencyP95: Double?
        public var costPerRequest: Double?
        public var tokensPerSecond: Double?

        init(primary: SideSummary, candidate: SideSummary) {
            func ratio(_ candidate: Double?, _ primary: Double?) -> Double? {
                guard let candidate, let primary, primary > 0 else { return nil }
                return candidate / primary
            }
            ttftP95 = ratio(candidate.ttftMilliseconds.p95, primary.ttftMilliseconds.p95)
            latencyP95 = ratio(candidate.latencyMilliseconds.p95, primary.latencyMilliseconds.p95)
            tokensPerSecond = ratio(candidate.tokensPerSecond, primary.tokensPerSecond)
            if primary.totalCost.amount == 0 && candidate.totalCost.amount == 0 {
                costPerRequest = 1
            } else {
                costPerRequest = ratio(candidate.totalCost.amount.double, primary.totalCost.amount.double)
            }
        }
    }

    struct LatencyPoint: Sendable, Hashable {
        var primaryMilliseconds: Double
        var candidateMilliseconds: Double
        var agreement: Double
    }
}

// MARK: - Agreement

extension ShadowReport {
    /// Pairs whose agreement falls in `lower..<upper` (the last bucket includes 1).
    public struct Bucket: Sendable, Encodable, Hashable {
        public var lower: Double
        public var upper: Double
        public var pairs: Int
    }

    /// How far the answers agree, over the pairs where both sides answered.
    public struct AgreementSummary: Sendable, Encodable, Hashable {
        public var pairs: Int
        public var meanAgreement: Double?
        /// Shares are 0–1.
        public var exactMatchShare: Double?
        public var meanSimilarity: Double?
        public var jsonAgreementShare: Double?
        public var toolCallAgreementShare: Double?
        public var medianLengthRatio: Double?
        /// Ten buckets, 0–0.1 up to 0.9–1.0.
        public var histogram: [Bucket]

        init(_ measures: [ShadowPair.Measures]) {
            func share(_ test: (ShadowPair.Measures) -> Bool) -> Double? {
                measures.isEmpty ? nil : Double(measures.filter(test).count) / Double(measures.count)
            }
            pairs = measures.count
            meanAgreement = Statistics.mean(measures.map(\.agreement))
            exactMatchShare = share(\.exactMatch)
            meanSimilarity = Statistics.mean(measures.map(\.similarity))
            jsonAgreementShare = share(\.jsonAgreement)
            toolCallAgreementShare = share(\.toolCallAgreement)
            medianLengthRatio = Statistics.percentile(measures.compactMap(\.lengthRatio), 0.5)
            var counts = [Int](repeating: 0, count: 10)
            for measure in measures { counts[Self.bucket(of: measure.agreement)] += 1 }
            histogram = counts.enumerated().map { index, count in
                Bucket(lower: Double(index) / 10, upper: Double(index + 1) / 10, pairs: count)
            }
        }

        /// 0.3 is bucket 3 even though 0.3 × 10 is not exactly 3 in binary.
        static func bucket(of agreement: Double) -> Int {
            guard agreement.isFinite else { return 0 }
            return min(9, max(0, Int((agreement * 10 + 1e-9).rounded(.down))))
        }
    }
}

// MARK: - Verdict

extension ShadowReport {
    /// One threshold of the test, measured.
    public struct Check: Sendable, Encodable, Hashable {
        public enum Comparison: String, Sendable, Encodable, Hashable {
            case atLeast, atMost

            var symbol: String { self == .atLeast ? "≥" : "≤" }
            var opposite: String { self == .atLeast ? "<" : ">" }
        }

        public enum Result: String, Sendable, Encodable, Hashable {
            case pass, fail
            /// Nothing to measure (no streamed answers for TTFT): shown, but it does not gate.
            case unmeasured
        }

        /// How `actual` and `limit` read.
        public enum Unit: String, Sendable, Encodable, Hashable {
            case score, percent, ratio
        }

        /// `agreement`, `errorRate`, `ttftP95Ratio`, `latencyP95Ratio` or `costRatio`, as in the manifest's thresholds.
        public var name: String
        public var label: String
        public var actual: Double?
        public var limit: Double
        public var comparison: Comparison
        public var unit: Unit
        public var result: Result
        /// Why there is no `actual`.
        public var note: String?

        /// Values this close to the limit count as on it: a mean of 0.9s may come out as 0.8999999999999999.
        static let tolerance = 1e-9

        init(name: String, label: String, actual: Double?, limit: Double, comparison: Comparison, unit: Unit,
             missing: Result = .unmeasured, note: String? = nil) {
            self.name = name
            self.label = label
            self.actual = actual
            self.limit = limit
            self.comparison = comparison
            self.unit = unit
            self.note = actual == nil ? note : nil
            if let actual {
                switch comparison {
                case .atLeast: result = actual >= limit - Self.tolerance ? .pass : .fail
                case .atMost: result = actual <= limit + Self.tolerance ? .pass : .fail
                }
            } else {
                result = missing
            }
        }

        func format(_ value: Double) -> String {
            switch unit {
            case .score: String(format: "%.2f", value)
            case .percent: Self.percent(value)
            case .ratio: String(format: "%.2f×", value)
            }
        }

        static func percent(_ share: Double) -> String {
            let percent = share * 100
            return percent == percent.rounded() ? String(format: "%.0f%%", percent) : String(format: "%.1f%%", percent)
        }

        /// `agreement 0.87 < 0.90` for a failure, `agreement 0.93 ≥ 0.90` for a pass.
        var sentence: String {
            guard let actual else { return "\(label): \(note ?? "not measured")" }
            let sign = result == .fail ? comparison.opposite : comparison.symbol
            return "\(label) \(format(actual)) \(sign) \(format(limit))"
        }
    }

    /// Whether the candidate may take the route's traffic.
    public struct Verdict: Sendable, Encodable, Hashable {
        public enum Decision: String, Sendable, Encodable, Hashable {
            /// Every measured check passes.
            case promote
            /// At least one check fails.
            case hold
            /// Too few pairs to judge.
            case insufficient
        }

        public var decision: Decision
        /// One line with the numbers behind the decision.
        public var summary: String
        public var checks: [Check]

        init(pairs: Int, compared: Int, primary: SideSummary, candidate: SideSummary, ratios: Ratios,
             agreement: AgreementSummary, thresholds: ShadowTestSpec.Thresholds) {
            var checks = [
                Check(name: "agreement", label: "agreement", actual: agreement.meanAgreement, limit: thresholds.minAgreement,
                      comparison: .atLeast, unit: .score, note: "no pair where both sides answered"),
                Check(name: "errorRate", label: "candidate error rate", actual: pairs == 0 ? nil : candidate.errorRate,
                      limit: thresholds.maxErrorRate, comparison: .atMost, unit: .percent, note: "no pairs"),
                Check(name: "ttftP95Ratio", label: "TTFT p95 ratio", actual: ratios.ttftP95, limit: thresholds.maxTtftP95Ratio,
                      comparison: .atMost, unit: .ratio, note: "no streamed answers on both sides"),
                Check(name: "latencyP95Ratio", label: "latency p95 ratio", actual: ratios.latencyP95,
                      limit: thresholds.maxLatencyP95Ratio, comparison: .atMost, unit: .ratio, note: "no answers on both sides"),
            ]
            if let maxCostRatio = thresholds.maxCostRatio {
                // A free primary against a paid candidate has no finite ratio; that must hold, not pass.
                let freePrimary = ratios.costPerRequest == nil && pairs > 0
                checks.append(Check(name: "costRatio", label: "cost per request ratio", actual: ratios.costPerRequest,
                                    limit: maxCostRatio, comparison: .atMost, unit: .ratio,
                                    missing: freePrimary ? .fail : .unmeasured,
                                    note: freePrimary ? "the primary cost nothing and the candidate does not" : "no pairs"))
            }
            self.checks = checks
            let failing = checks.filter { $0.result == .fail }
            let unmeasured = checks.filter { $0.result == .unmeasured }.map(\.label)
            let notMeasured = unmeasured.isEmpty ? "" : "; not measured: " + unmeasured.joined(separator: ", ")
            if pairs < ShadowReport.minimumPairs {
                decision = .insufficient
                summary = "\(pairs) \(pairs == 1 ? "pair" : "pairs") recorded; at least \(ShadowReport.minimumPairs) are needed to judge"
            } else if compared == 0 {
                decision = .insufficient
                summary = "no pair where both sides answered: of \(pairs) pairs the primary failed \(primary.failed) "
                    + "and the candidate \(candidate.failed)"
            } else if failing.isEmpty {
                decision = .promote
                let measured = checks.count - unmeasured.count
                summary = "all \(measured) measured checks pass on \(pairs) pairs (\(compared) compared)" + notMeasured
            } else {
                decision = .hold
                summary = "\(failing.count) of \(checks.count) checks \(failing.count == 1 ? "fails" : "fail"): "
                    + failing.map(\.sentence).joined(separator: "; ")
            }
        }
    }
}

// MARK: - Examples

extension ShadowReport {
    /// A run of words a diff keeps, removes or adds.
    public struct DiffRun: Sendable, Encodable, Hashable {
        public enum Kind: String, Sendable, Encodable, Hashable {
            case same, removed, added
        }

        public var kind: Kind
        /// The run's words joined by single spaces.
        public var text: String

        /// Consecutive steps of one kind joined, so renderings mark a changed phrase once; between two
        /// unchanged runs the removed words come before the added ones, to read as "this became that".
        static func runs(_ steps: [TextAgreement.Step]) -> [DiffRun] {
            var runs: [DiffRun] = []
            var removed: [String] = [], added: [String] = []
            func flushChange() {
                if !removed.isEmpty { runs.append(DiffRun(kind: .removed, text: removed.joined(separator: " "))) }
                if !added.isEmpty { runs.append(DiffRun(kind: .added, text: added.joined(separator: " "))) }
                removed = []
                added = []
            }
            for step in steps {
                switch step {
                case .removed(let word): removed.append(word)
                case .added(let word): added.append(word)
                case .same(let word):
                    flushChange()
                    if let last = runs.last, last.kind == .same {
                        runs[runs.count - 1].text += " " + word
                    } else {
                        runs.append(DiffRun(kind: .same, text: word))
                    }
                }
            }
            flushChange()
            return runs
        }
    }

    /// A pair shown in full: the worst agreements first, so a reader sees what the candidate gets wrong.
    public struct Example: Sendable, Encodable, Hashable {
        public enum Kind: String, Sendable, Encodable, Hashable {
            /// Among the lowest agreements.
            case lowest
            /// The median agreement, for contrast.
            case typical
        }

        public var kind: Kind
        public var requestID: String
        public var at: String
        public var primaryModel: String?
        public var candidateModel: String?
        /// Cut to `promptLimit` characters; nil where the route does not retain text.
        public var prompt: String?
        /// False on zero-retention routes: there is no text to show, only the measures.
        public var retained: Bool
        public var agreement: Double
        public var similarity: Double
        public var primaryLatencyMilliseconds: Double
        public var candidateLatencyMilliseconds: Double
        /// The primary's answer turned into the candidate's, word by word.
        public var diff: [DiffRun]

        init(_ pair: ShadowPair, kind: Kind) {
            self.kind = kind
            requestID = pair.requestID
            at = pair.at
            primaryModel = pair.primary.model
            candidateModel = pair.candidate.model
            prompt = pair.prompt.map { $0.truncated(to: ShadowReport.promptLimit) }
            let sides = [pair.primary, pair.candidate]
            retained = pair.prompt != nil || sides.contains { $0.text != nil || $0.toolCalls != nil }
            agreement = pair.measures.agreement
            similarity = pair.measures.similarity
            primaryLatencyMilliseconds = pair.primary.durationMilliseconds
            candidateLatencyMilliseconds = pair.candidate.durationMilliseconds
            diff = retained ? DiffRun.runs(TextAgreement.diff(Self.answer(pair.primary), Self.answer(pair.candidate))) : []
        }

        /// The text, then the tool calls, so a disagreement in either shows in the diff.
        static func answer(_ side: ShadowPair.Side) -> String {
            [side.text, side.toolCalls.map { "tool calls: " + $0 }].compactMap { $0 }.joined(separator: "\n")
        }

        /// The lowest agreements first, then the median pair when there are more pairs than examples.
        /// A prompt already shown is skipped: live traffic repeats itself, and one bad answer shown five times teaches little.
        static func pick(from pairs: [ShadowPair]) -> [Example] {
            var seenPrompts = Set<String>()
            let sorted = pairs
                .sorted { ($0.measures.agreement, $0.at, $0.requestID) < ($1.measures.agreement, $1.at, $1.requestID) }
                .filter { pair in pair.prompt.map { seenPrompts.insert($0).inserted } ?? true }
            guard sorted.count > ShadowReport.exampleCount else { return sorted.map { Example($0, kind: .lowest) } }
            let lowest = sorted.prefix(ShadowReport.exampleCount - 1).map { Example($0, kind: .lowest) }
            let typical = sorted[max(ShadowReport.exampleCount - 1, sorted.count / 2)]
            return lowest + [Example(typical, kind: .typical)]
        }
    }
}

extension Decimal {
    /// Rounded half away from zero to `places` decimal places.
    func rounded(places: Int) -> Decimal {
        var value = self
        var result = Decimal()
        NSDecimalRound(&result, &value, places, .plain)
        return result
    }

    var double: Double { NSDecimalNumber(decimal: self).doubleValue }
}
