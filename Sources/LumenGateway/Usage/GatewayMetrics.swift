public import LumenStore
import Synchronization

/// Counters behind the agent's `/metrics` page, in Prometheus text. Labels stay bounded: the
/// outcome, never a key, a route or a prompt.
public final class GatewayMetrics: Sendable {
    private struct Counts {
        var requests: [UsageRecord.Outcome: Int] = [:]
        /// Upstreams abandoned mid-stream or after a broken answer, each continued elsewhere or not.
        var failovers = 0
        /// Requests answered by a hedged second request.
        var hedgeWins = 0
        /// Streams that ended with an explicit error event because no upstream could continue them.
        var unrecoverable = 0
    }

    private let counts = Mutex(Counts())

    public init() {}

    func record(outcome: UsageRecord.Outcome, failovers: Int, hedged: Bool, unrecoverable: Bool) {
        counts.withLock { counts in
            counts.requests[outcome, default: 0] += 1
            counts.failovers += failovers
            if hedged { counts.hedgeWins += 1 }
            if unrecoverable { counts.unrecoverable += 1 }
        }
    }

    public func prometheusText() -> String {
        let counts = counts.withLock { $0 }
        var text = """
            # HELP lumen_requests_total Requests the gateway finished, by outcome.
            # TYPE lumen_requests_total counter

            """
        for outcome in [UsageRecord.Outcome.completed, .clientClosed, .failed, .rejected] {
            text += "lumen_requests_total{outcome=\"\(outcome.rawValue)\"} \(counts.requests[outcome] ?? 0)\n"
        }
        text += """
            # HELP lumen_failovers_total Upstreams abandoned after a fault, the answer moved to another.
            # TYPE lumen_failovers_total counter
            lumen_failovers_total \(counts.failovers)
            # HELP lumen_hedge_wins_total Requests answered by a hedged second request.
            # TYPE lumen_hedge_wins_total counter
            lumen_hedge_wins_total \(counts.hedgeWins)
            # HELP lumen_streams_unrecoverable_total Streams ended with an error event: no upstream could continue them.
            # TYPE lumen_streams_unrecoverable_total counter
            lumen_streams_unrecoverable_total \(counts.unrecoverable)

            """
        return text
    }
}
