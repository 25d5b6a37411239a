import Yams
public import Foundation

/// Mirrors a share of a route's live traffic to a candidate model in the dark.
public struct ShadowTestSpec: Codable, Sendable, Hashable {
    /// What the candidate must achieve before `lumenctl shadow promote` moves traffic to it.
    public struct Thresholds: Codable, Sendable, Hashable {
        public var minAgreement = 0.9
        public var maxErrorRate = 0.01
        /// Candidate TTFT p95 divided by the primary's.
        public var maxTtftP95Ratio = 1.25
        public var maxLatencyP95Ratio = 1.25
        /// Candidate cost per request divided by the primary's; `nil` means cost does not gate.
        public var maxCostRatio: Double?

        public init(minAgreement: Double = 0.9, maxErrorRate: Double = 0.01, maxTtftP95Ratio: Double = 1.25,
                    maxLatencyP95Ratio: Double = 1.25, maxCostRatio: Double? = nil) {
            self.minAgreement = minAgreement
            self.maxErrorRate = maxErrorRate
            self.maxTtftP95Ratio = maxTtftP95Ratio
            self.maxLatencyP95Ratio = maxLatencyP95Ratio
            self.maxCostRatio = maxCostRatio
        }
    }

    public var route: String
    public var candidate: String
    public var sampleRate: Double
    public var maxRequests: Int?
    /// ISO 8601, UTC: `2026-12-01T00:00:00Z`.
    public var until: String?
    public var thresholds: Thresholds

    public init(route: String, candidate: String, sampleRate: Double, maxRequests: Int? = nil, until: String? = nil,
                thresholds: Thresholds = Thresholds()) {
        self.route = route
        self.candidate = candidate
        self.sampleRate = sampleRate
        self.maxRequests = maxRequests
        self.until = until
        self.thresholds = thresholds
    }

    public var untilDate: Date? {
        until.flatMap { try? Date($0, strategy: .iso8601) }
    }

    /// Whether the test still mirrors traffic: before its `until` and under its `maxRequests`.
    public func isRunning(taken: Int, now: Date = Date()) -> Bool {
        if let until = untilDate, now >= until { return false }
        if let maxRequests, taken >= maxRequests { return false }
        return true
    }

    static func read(_ object: inout ObjectReader) -> ShadowTestSpec? {
        let route = object.required("route", expected: "the name of a Route")?.name()
        let candidate = object.required("candidate", expected: "the name of a Model")?.name()
        let sampleRate = object.value("sampleRate", default: 0.1) { reader -> Double? in
            guard let rate = reader.number(in: 0...1, expected: "a share of requests from 0 to 1, e.g. 0.05") else { return nil }
            if rate == 0 { reader.fail("a share greater than 0 (a sample rate of 0 mirrors nothing)") }
            return rate
        }
        let maxRequests = object.optional("maxRequests") { $0.int(in: 1...1_000_000_000) }
        let until = object.optional("until") { $0.timestamp() }
        var thresholds = Thresholds()
        _ = object.nested("thresholds") { fields -> Void? in
            let ratio = { (reader: ValueReader) in reader.number(in: 0.01...1000, expected: "a ratio such as 1.2 (candidate ÷ primary)") }
            thresholds.minAgreement = fields.value("minAgreement", default: thresholds.minAgreement) { $0.score() }
            thresholds.maxErrorRate = fields.value("maxErrorRate", default: thresholds.maxErrorRate) { $0.score() }
            thresholds.maxTtftP95Ratio = fields.value("maxTtftP95Ratio", default: thresholds.maxTtftP95Ratio, ratio)
            thresholds.maxLatencyP95Ratio = fields.value("maxLatencyP95Ratio", default: thresholds.maxLatencyP95Ratio, ratio)
            thresholds.maxCostRatio = fields.optional("maxCostRatio", ratio)
            return ()
        }
        guard let route, let candidate else { return nil }
        return ShadowTestSpec(
            route: route, candidate: candidate, sampleRate: sampleRate, maxRequests: maxRequests,
            until: until, thresholds: thresholds
        )
    }
}

extension ValueReader {
    /// An ISO 8601 time (`2026-12-01T00:00:00Z`) or date (`2026-12-01`, midnight UTC), kept in UTC.
    func timestamp() -> String? {
        guard case .scalar(let scalar) = node else {
            fail("a time such as 2026-12-01T00:00:00Z")
            return nil
        }
        let text = scalar.string
        let date = (try? Date(text, strategy: .iso8601))
            ?? (try? Date(text + "T00:00:00Z", strategy: .iso8601))
        guard let date else {
            fail("a time such as 2026-12-01T00:00:00Z or a date such as 2026-12-01")
            return nil
        }
        return date.ISO8601Format(Date.ISO8601FormatStyle(includingFractionalSeconds: text.contains(".")))
    }
}
