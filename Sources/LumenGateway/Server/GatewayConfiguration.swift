/// Limits of the public API.
public struct GatewayConfiguration: Sendable {
    /// Larger request bodies get 413.
    public var maxRequestBytes = 4 * 1024 * 1024
    /// Larger non-streamed upstream responses fail the request (a guard against a runaway upstream).
    public var maxResponseBytes = 64 * 1024 * 1024
    /// Largest single SSE event accepted from an upstream.
    public var maxEventBytes = 1024 * 1024
    /// How long after a request arrives its upstream may still be retried (before its first byte).
    public var retryDeadline: Duration = .seconds(10)
    /// How a new request picks among a model's replicas.
    public var replicaChoice = ReplicaChoice.prefixAffinity
    /// Longest a request waits for room on a model's replicas when its route has no TTFT SLO.
    public var queueTimeout: Duration = .seconds(30)
    /// The bearer token peer agents send (and this agent accepts) for models it hosts.
    public var peerToken: String?

    public enum ReplicaChoice: String, Sendable, CaseIterable {
        /// Requests sharing a prompt prefix go to the same replica (bounded load); others to the less loaded of two.
        case prefixAffinity = "prefix-affinity"
        /// Each request starts one replica further along.
        case roundRobin = "round-robin"
    }

    public init() {}
}
