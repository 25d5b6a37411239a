import Foundation
import LumenAPI

/// What `lumenctl top` knows of the fleet at one moment: plain values, so the frame is a pure
/// function of them and tests build them by hand.
struct FleetSample: Sendable, Equatable {
    var takenAt: Date
    /// How many seconds of each agent's ledger the usage totals cover; rates divide by it.
    var windowSeconds: Double = 60
    var nodes: [Node]

    struct Node: Sendable, Equatable {
        var name: String
        /// Why the agent did not answer; `nil` when it did.
        var unreachableReason: String?
        var revision: Int?
        var version: String?
        var warnings: [String] = []
        var upstreams: [Upstream] = []
        /// The ledger over the window; `nil` when the agent did not hand it over.
        var usage: UsageTotals?
        var usageByUpstream: [String: UsageTotals] = [:]
        /// Why the ledger could not be read while the agent itself answered.
        var usageError: String?

        var isReachable: Bool { unreachableReason == nil }
        var inFlight: Int { upstreams.reduce(0) { $0 + $1.inFlight } }
    }

    /// One upstream as its agent's health board sees it.
    struct Upstream: Sendable, Equatable {
        var id: String
        var model: String
        var state: String
        var reason: String
        var inFlight: Int = 0
        var ttftP50Milliseconds: Double?
        var ttftP99Milliseconds: Double?
        var interTokenP50Milliseconds: Double?
        var errorRate: Double = 0
        var requests: Int = 0

        var isProvider: Bool { id.hasPrefix("provider/") }
    }

    /// Ledger rows added up.
    struct UsageTotals: Sendable, Equatable {
        var requests = 0
        var promptTokens = 0
        var completionTokens = 0
        /// USD.
        var cost = Decimal(0)
        /// Rows whose outcome is `failed`: Lumen or the upstream failed the request.
        var failed = 0

        mutating func add(_ other: UsageTotals) {
            requests += other.requests
            promptTokens += other.promptTokens
            completionTokens += other.completionTokens
            cost += other.cost
            failed += other.failed
        }
    }

    var reachableCount: Int { nodes.filter(\.isReachable).count }

    /// Every node's ledger added up; nodes that did not hand theirs over count as nothing.
    var fleetUsage: UsageTotals {
        var total = UsageTotals()
        for node in nodes { if let usage = node.usage { total.add(usage) } }
        return total
    }
}

extension FleetSample.UsageTotals {
    /// Adds up ledger rows as `/v1/usage` returns them (`UsageRecord` as JSON).
    static func of(_ rows: [JSONValue]) -> (total: Self, byUpstream: [String: Self]) {
        var total = Self()
        var byUpstream: [String: Self] = [:]
        // Client rows only, as `lumenctl costs` counts them: a peer row is billed by the agent that passed it on.
        for row in rows where (row["origin"]?.stringValue ?? "client") == "client" {
            var one = Self()
            one.requests = 1
            one.promptTokens = row["promptTokens"]?.intValue ?? 0
            one.completionTokens = row["completionTokens"]?.intValue ?? 0
            one.cost = row["cost"]?.stringValue.flatMap { Decimal(string: $0, locale: Locale(identifier: "en_US_POSIX")) } ?? 0
            one.failed = row["outcome"]?.stringValue == "failed" ? 1 : 0
            total.add(one)
            if let upstream = row["upstream"]?.stringValue { byUpstream[upstream, default: Self()].add(one) }
        }
        return (total, byUpstream)
    }
}

extension FleetSample.Upstream {
    /// One entry of `/v1/health` (the agent's `HealthBoard.Report` as JSON).
    init(report: JSONValue) {
        self.init(
            id: report["upstream"]?.stringValue ?? "?", model: report["model"]?.stringValue ?? "?",
            state: report["state"]?.stringValue ?? "?", reason: report["reason"]?.stringValue ?? "",
            inFlight: report["inFlight"]?.intValue ?? 0,
            ttftP50Milliseconds: report["ttftP50Milliseconds"]?.doubleValue,
            ttftP99Milliseconds: report["ttftP99Milliseconds"]?.doubleValue,
            interTokenP50Milliseconds: report["interTokenP50Milliseconds"]?.doubleValue,
            errorRate: report["errorRate"]?.doubleValue ?? 0, requests: report["requests"]?.intValue ?? 0)
    }
}
