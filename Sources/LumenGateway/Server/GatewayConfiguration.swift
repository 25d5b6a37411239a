public import LumenAPI
public import LumenStore
public import Logging

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
    /// What peer tokens are made and checked with (per node, see PeerToken); nil refuses peers.
    public var peerKey: PeerToken.Key?
    /// Requests the public API serves at once (a stream counts until its last byte); more get 503.
    public var maxInFlight = 1024
    /// Read deadlines and connection caps of the public listener (`--header-timeout`,
    /// `--max-connections`, …): no client can hold its sockets or the agent's file descriptors.
    public var publicListener = ListenerLimits(maxConnections: 4096, maxConnectionsPerAddress: 1024)
    /// The same for the admin listener, which lumenctl calls: smaller caps.
    public var adminListener = ListenerLimits(maxConnections: 256, maxConnectionsPerAddress: 64)

    public enum ReplicaChoice: String, Sendable, CaseIterable {
        /// Requests sharing a prompt prefix go to the same replica (bounded load); others to the less loaded of two.
        case prefixAffinity = "prefix-affinity"
        /// Each request starts one replica further along.
        case roundRobin = "round-robin"
    }

    public init() {}

    /// Lowers the listeners' connection caps to what `openFiles` descriptors can hold (each public
    /// connection may need an upstream one too), so the caps refuse a flood before the process runs
    /// out of descriptors and stops accepting anyone, `/health` included; one address may hold at
    /// most half of a listener.
    public mutating func fitConnectionCaps(openFiles: Int, logger: Logger) {
        let admin = min(adminListener.maxConnections ?? 256, ListenerLimits.connectionsAffordable(openFiles: openFiles) / 4)
        adminListener.maxConnections = admin
        let affordable = ListenerLimits.connectionsAffordable(openFiles: openFiles, otherListeners: admin)
        if let asked = publicListener.maxConnections, asked > affordable {
            logger.warning("lowering --max-connections to what the open-file limit allows; raise it with ulimit -n", metadata: [
                "asked": "\(asked)", "allowed": "\(affordable)", "open_files": "\(openFiles)",
            ])
            publicListener.maxConnections = affordable
        }
        // One address never holds a whole listener, so others still reach it (`/health` included).
        for listener in [\GatewayConfiguration.publicListener, \GatewayConfiguration.adminListener] {
            if let total = self[keyPath: listener].maxConnections {
                self[keyPath: listener].maxConnectionsPerAddress = min(self[keyPath: listener].maxConnectionsPerAddress ?? total, max(1, total / 2))
            }
        }
    }
}
