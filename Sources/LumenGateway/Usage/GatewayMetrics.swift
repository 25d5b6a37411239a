public import LumenStore
import Foundation
import Synchronization

/// Counters and histograms behind the agent's `/metrics` page, in Prometheus text. Label sets stay
/// bounded: routes, models, upstreams and shadow tests come from manifests, statuses and outcomes
/// from short lists; never a key or a prompt. Token types use OpenTelemetry's `gen_ai_token_type`.
public final class GatewayMetrics: Sendable {
    /// Cumulative histogram buckets in seconds.
    static let latencyBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60]
    static let perTokenBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1]

    struct Histogram {
        var counts: [Int]
        var sum = 0.0
        var count = 0

        init(buckets: Int) { counts = Array(repeating: 0, count: buckets) }

        mutating func observe(_ value: Double, bounds: [Double]) {
            if let index = bounds.firstIndex(where: { value <= $0 }) { counts[index] += 1 }
            sum += value
            count += 1
        }
    }

    /// What one finished request adds.
    struct Finished {
        var route: String
        var model: String
        var status: Int
        var outcome: UsageRecord.Outcome
        var ttftSeconds: Double?
        var perTokenSeconds: Double?
        var durationSeconds: Double
        var inputTokens: Int
        var outputTokens: Int
        var cachedTokens: Int
        var cost: Decimal
        var failovers: Int
        var hedged: Bool
        var unrecoverable: Bool
    }

    private struct Series: Hashable {
        var route: String
        var model: String
    }

    private struct Counts {
        var requests: [[String]: Int] = [:]
        var ttft: [Series: Histogram] = [:]
        var perToken: [Series: Histogram] = [:]
        var duration: [Series: Histogram] = [:]
        var tokens: [Series: (input: Int, output: Int, cached: Int)] = [:]
        var cost: [Series: Decimal] = [:]
        var failovers: [Series: Int] = [:]
        var hedgeWins: [Series: Int] = [:]
        var unrecoverable: [String: Int] = [:]
        var shadowPairs: [[String]: Int] = [:]
        var admissions: [[String]: Int] = [:]
    }

    private let counts = Mutex(Counts())

    public init() {}

    func record(_ finished: Finished) {
        let series = Series(route: finished.route, model: finished.model)
        counts.withLock { counts in
            counts.requests[[finished.route, finished.model, String(finished.status), finished.outcome.rawValue], default: 0] += 1
            if let ttft = finished.ttftSeconds {
                counts.ttft[series, default: Histogram(buckets: Self.latencyBuckets.count)].observe(ttft, bounds: Self.latencyBuckets)
            }
            if let perToken = finished.perTokenSeconds {
                counts.perToken[series, default: Histogram(buckets: Self.perTokenBuckets.count)].observe(perToken, bounds: Self.perTokenBuckets)
            }
            counts.duration[series, default: Histogram(buckets: Self.latencyBuckets.count)]
                .observe(finished.durationSeconds, bounds: Self.latencyBuckets)
            var tokens = counts.tokens[series] ?? (0, 0, 0)
            tokens.input += finished.inputTokens
            tokens.output += finished.outputTokens
            tokens.cached += finished.cachedTokens
            counts.tokens[series] = tokens
            counts.cost[series, default: 0] += finished.cost
            if finished.failovers > 0 { counts.failovers[series, default: 0] += finished.failovers }
            if finished.hedged { counts.hedgeWins[series, default: 0] += 1 }
            if finished.unrecoverable { counts.unrecoverable[finished.route, default: 0] += 1 }
        }
    }

    func recordShadowPair(test: String, route: String, candidateFailed: Bool) {
        counts.withLock { $0.shadowPairs[[test, route, candidateFailed ? "failed" : "completed"], default: 0] += 1 }
    }

    func recordAdmission(model: String, _ admission: Gateway.Admission) {
        counts.withLock { $0.admissions[[model, admission.rawValue], default: 0] += 1 }
    }

    /// The page: this gateway's counts, then the gauges its owner reads at scrape time.
    func prometheusText(upstreams: [HealthBoard.Report], inFlight: Int, budgets: [(route: String, period: String, remaining: Decimal)],
                         waiting: [(model: String, count: Int)] = []) -> String {
        let counts = counts.withLock { $0 }
        var page = PrometheusPage()
        page.family("lumen_requests_total", "counter", "Requests the gateway finished, by route, model, HTTP status and outcome.")
        for (labels, value) in counts.requests.sorted(by: { $0.key.lexicographicallyPrecedes($1.key) }) {
            page.sample("lumen_requests_total", ["route": labels[0], "model": labels[1], "status": labels[2], "outcome": labels[3]], Double(value))
        }
        let ordered = { (keys: [Series]) in keys.sorted { ($0.route, $0.model) < ($1.route, $1.model) } }
        page.family("lumen_time_to_first_token_seconds", "histogram", "Time from a request's arrival to its first token (gen_ai.server.time_to_first_token).")
        for series in ordered(Array(counts.ttft.keys)) {
            page.histogram("lumen_time_to_first_token_seconds", ["route": series.route, "model": series.model], counts.ttft[series], Self.latencyBuckets)
        }
        page.family("lumen_time_per_output_token_seconds", "histogram", "Mean gap between output tokens after the first, per streamed request (gen_ai.server.time_per_output_token).")
        for series in ordered(Array(counts.perToken.keys)) {
            page.histogram("lumen_time_per_output_token_seconds", ["route": series.route, "model": series.model], counts.perToken[series], Self.perTokenBuckets)
        }
        page.family("lumen_request_duration_seconds", "histogram", "Time from a request's arrival to its last byte (gen_ai.client.operation.duration).")
        for series in ordered(Array(counts.duration.keys)) {
            page.histogram("lumen_request_duration_seconds", ["route": series.route, "model": series.model], counts.duration[series], Self.latencyBuckets)
        }
        page.family("lumen_tokens_total", "counter", "Tokens by route, model and gen_ai_token_type (input, output; cached is the part of input served from a prefix cache).")
        for series in ordered(Array(counts.tokens.keys)) {
            guard let tokens = counts.tokens[series] else { continue }
            for (type, value) in [("input", tokens.input), ("output", tokens.output), ("cached", tokens.cached)] {
                page.sample("lumen_tokens_total", ["route": series.route, "model": series.model, "gen_ai_token_type": type], Double(value))
            }
        }
        page.family("lumen_cost_usd_total", "counter", "What requests cost at their model's prices, in USD.")
        for series in ordered(Array(counts.cost.keys)) {
            page.sample("lumen_cost_usd_total", ["route": series.route, "model": series.model], NSDecimalNumber(decimal: counts.cost[series] ?? 0).doubleValue)
        }
        page.family("lumen_failovers_total", "counter", "Upstreams abandoned after a fault, the answer moved to another.")
        // An unlabelled zero until the first labelled series, so the family is never absent.
        if counts.failovers.isEmpty { page.sample("lumen_failovers_total", [:], 0) }
        for series in ordered(Array(counts.failovers.keys)) {
            page.sample("lumen_failovers_total", ["route": series.route, "model": series.model], Double(counts.failovers[series] ?? 0))
        }
        page.family("lumen_hedge_wins_total", "counter", "Requests answered by a hedged second request.")
        if counts.hedgeWins.isEmpty { page.sample("lumen_hedge_wins_total", [:], 0) }
        for series in ordered(Array(counts.hedgeWins.keys)) {
            page.sample("lumen_hedge_wins_total", ["route": series.route, "model": series.model], Double(counts.hedgeWins[series] ?? 0))
        }
        page.family("lumen_streams_unrecoverable_total", "counter", "Streams ended with an error event: no upstream could continue them.")
        if counts.unrecoverable.isEmpty { page.sample("lumen_streams_unrecoverable_total", [:], 0) }
        for (route, value) in counts.unrecoverable.sorted(by: { $0.key < $1.key }) {
            page.sample("lumen_streams_unrecoverable_total", ["route": route], Double(value))
        }
        page.family("lumen_shadow_pairs_total", "counter", "Mirrored requests a shadow test compared, by whether the candidate answered.")
        for (labels, value) in counts.shadowPairs.sorted(by: { $0.key.lexicographicallyPrecedes($1.key) }) {
            page.sample("lumen_shadow_pairs_total", ["shadow_test": labels[0], "route": labels[1], "candidate_outcome": labels[2]], Double(value))
        }
        page.family("lumen_admissions_total", "counter", "Requests for a model whose replicas this agent runs that found no room at once: "
                    + "spilled (sent to another candidate), queued, cold_start_wait, or refused (queue_full, start_too_slow, timed_out).")
        if counts.admissions.isEmpty { page.sample("lumen_admissions_total", [:], 0) }
        for (labels, value) in counts.admissions.sorted(by: { $0.key.lexicographicallyPrecedes($1.key) }) {
            page.sample("lumen_admissions_total", ["model": labels[0], "result": labels[1]], Double(value))
        }
        page.family("lumen_queue_waiting", "gauge", "Requests waiting for room on each model's replicas.")
        for (model, count) in waiting { page.sample("lumen_queue_waiting", ["model": model], Double(count)) }
        page.family("lumen_requests_in_flight", "gauge", "Requests admitted and not yet finished.")
        page.sample("lumen_requests_in_flight", [:], Double(inFlight))
        page.family("lumen_upstream_in_flight", "gauge", "Requests each upstream is answering now.")
        for upstream in upstreams {
            page.sample("lumen_upstream_in_flight", ["upstream": upstream.upstream, "model": upstream.model], Double(upstream.inFlight))
        }
        page.family("lumen_upstream_state", "gauge", "1 for the state each upstream is in, 0 for the others.")
        for upstream in upstreams {
            for state in HealthBoard.State.allCases {
                page.sample("lumen_upstream_state", ["upstream": upstream.upstream, "model": upstream.model, "state": state.rawValue],
                            upstream.state == state ? 1 : 0)
            }
        }
        page.family("lumen_budget_remaining_usd", "gauge", "What each route's daily and monthly budget has left on this agent, in USD.")
        for budget in budgets {
            page.sample("lumen_budget_remaining_usd", ["route": budget.route, "period": budget.period], NSDecimalNumber(decimal: budget.remaining).doubleValue)
        }
        return page.text
    }
}

/// Prometheus text exposition: families with HELP and TYPE, samples with escaped labels.
struct PrometheusPage {
    private(set) var text = ""

    mutating func family(_ name: String, _ type: String, _ help: String) {
        text += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
    }

    mutating func sample(_ name: String, _ labels: [String: String], _ value: Double) {
        text += name + Self.labels(labels) + " " + Self.number(value) + "\n"
    }

    mutating func histogram(_ name: String, _ labels: [String: String], _ histogram: GatewayMetrics.Histogram?, _ bounds: [Double]) {
        guard let histogram else { return }
        var cumulative = 0
        for (index, bound) in bounds.enumerated() {
            cumulative += histogram.counts[index]
            sample(name + "_bucket", labels.merging(["le": Self.number(bound)]) { $1 }, Double(cumulative))
        }
        sample(name + "_bucket", labels.merging(["le": "+Inf"]) { $1 }, Double(histogram.count))
        sample(name + "_sum", labels, histogram.sum)
        sample(name + "_count", labels, Double(histogram.count))
    }

    static func labels(_ labels: [String: String]) -> String {
        guard !labels.isEmpty else { return "" }
        let pairs = labels.sorted { $0.key < $1.key }.map { key, value in
            let escaped = value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
                .replacingOccurrences(of: "\n", with: "\\n")
            return "\(key)=\"\(escaped)\""
        }
        return "{" + pairs.joined(separator: ",") + "}"
    }

    static func number(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15 { return String(Int(value)) }
        return String(value)
    }
}
