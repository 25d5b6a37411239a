import Foundation
import LumenManifest
import LumenStore

/// How `lumenctl shadow promote` rewrites a route, and when a promotion step has regressed.
enum ShadowPromotion {
    /// The model the candidate takes traffic from: the route's candidate that answered most of the
    /// pairs' primary side, else the route's first other candidate.
    static func incumbent(of route: RouteSpec, candidate: String, pairs: [ShadowPair]) -> String? {
        var served: [String: Int] = [:]
        for pair in pairs {
            if let model = pair.primary.model, model != candidate, route.candidates.contains(model) { served[model, default: 0] += 1 }
        }
        if let busiest = served.max(by: { ($0.value, $1.key) < ($1.value, $0.key) })?.key { return busiest }
        return route.candidates.first { $0 != candidate }
    }

    /// `original` with `percent` of its traffic on `candidate`. Below 100 the route becomes a
    /// weighted split (a weighted route keeps its shares, scaled down); at 100 the candidate takes
    /// the incumbent's place and the route keeps its strategy.
    static func route(_ original: RouteSpec, incumbent: String, candidate: String, percent: Int) -> RouteSpec {
        var route = original
        if percent >= 100 && original.strategy != .weighted {
            if route.candidates.contains(candidate) {
                route.candidates.removeAll { $0 == incumbent }
            } else {
                route.candidates = route.candidates.map { $0 == incumbent ? candidate : $0 }
            }
            return route
        }
        if !route.candidates.contains(candidate) { route.candidates.append(candidate) }
        var shares: [String: Int] = [:]
        let rest = 100 - percent
        if original.strategy == .weighted, let traffic = original.traffic {
            for (name, share) in traffic where name != candidate && share > 0 { shares[name] = share * rest / 100 }
            // Rounding down leaves a remainder: it goes to the largest share.
            let remainder = rest - shares.values.reduce(0, +)
            if let largest = shares.max(by: { ($0.value, $1.key) < ($1.value, $0.key) })?.key { shares[largest, default: 0] += remainder }
        } else if rest > 0 {
            shares[incumbent] = rest
        }
        shares = shares.filter { $0.value > 0 }
        shares[candidate] = percent
        route.strategy = .weighted
        route.traffic = SortedMap(shares)
        return route
    }

    /// What the candidate is held to while it takes traffic: the primary's TTFT and latency p95
    /// over the test's pairs.
    struct Baseline {
        var ttftP95: Double?
        var latencyP95: Double?

        init(pairs: [ShadowPair]) {
            let answered = pairs.map(\.primary).filter { !$0.failed }
            ttftP95 = Statistics.percentile(answered.compactMap(\.ttftMilliseconds), 0.95)
            latencyP95 = Statistics.percentile(answered.map(\.durationMilliseconds), 0.95)
        }
    }

    /// Requests the candidate must have served before its latency is judged.
    static let minimumRequests = 5

    /// Why the candidate's live traffic breaks the test's thresholds, if it does: its ledger rows on
    /// the route since the step began, and its upstreams' error rate as the agents see it (which
    /// counts errors the gateway then failed over from).
    static func regression(candidate: String, route: String, rows: [UsageRecord], upstreamErrorRate: Double?,
                           baseline: Baseline, thresholds: ShadowTestSpec.Thresholds) -> String? {
        // Live traffic only: a shadow row is a mirrored copy, a peer row another agent's client row again.
        let served = rows.filter { $0.origin == .client && $0.route == route && $0.model == candidate && $0.outcome != .rejected }
        let failed = served.filter { $0.outcome == .failed }.count
        let ledgerErrorRate = served.isEmpty ? 0 : Double(failed) / Double(served.count)
        let errorRate = max(ledgerErrorRate, upstreamErrorRate ?? 0)
        if errorRate > thresholds.maxErrorRate && (served.count >= minimumRequests || upstreamErrorRate != nil) {
            return String(format: "the candidate's error rate is %.1f%%, above maxErrorRate %.1f%%", errorRate * 100, thresholds.maxErrorRate * 100)
        }
        guard served.count >= minimumRequests else { return nil }
        let completed = served.filter { $0.outcome == .completed }
        if let base = baseline.ttftP95, base > 0, let p95 = Statistics.percentile(completed.compactMap(\.ttftMilliseconds), 0.95),
           p95 / base > thresholds.maxTtftP95Ratio {
            return String(format: "the candidate's TTFT p95 is %.1f ms, %.2f× the primary's %.1f ms (maxTtftP95Ratio %.2f)",
                          p95, p95 / base, base, thresholds.maxTtftP95Ratio)
        }
        if let base = baseline.latencyP95, base > 0, let p95 = Statistics.percentile(completed.map(\.durationMilliseconds), 0.95),
           p95 / base > thresholds.maxLatencyP95Ratio {
            return String(format: "the candidate's latency p95 is %.1f ms, %.2f× the primary's %.1f ms (maxLatencyP95Ratio %.2f)",
                          p95, p95 / base, base, thresholds.maxLatencyP95Ratio)
        }
        return nil
    }
}
