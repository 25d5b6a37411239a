import Synchronization
public import NIOCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What one listener allows a client before and between requests, so no client can hold its
/// sockets or the process's file descriptors: read deadlines for a request's head and body, an
/// idle keep-alive timeout, and caps on open connections (in all and per client address).
/// Responses are never timed: a long stream that keeps writing is not cut.
public struct ListenerLimits: Sendable, Equatable {
    /// Longest a client may take to send a request's whole head (from the connection's start, or
    /// from the first byte of a request on a kept-alive connection); then 408 and close.
    public var headerTimeout: Duration
    /// Longest a client may take to send a request's whole body after its head; then close.
    public var bodyTimeout: Duration
    /// Longest a response may make no progress: a client that stops reading cannot hold its
    /// stream (and the slots, leases and upstream it keeps) for ever. Then the connection is closed.
    public var writeTimeout: Duration
    /// Longest a kept-alive connection may wait for its next request.
    public var idleTimeout: Duration
    /// Open connections at most (nil: no cap); more are answered 503 and closed at once.
    public var maxConnections: Int?
    /// Open connections from one client address (an IPv6 /64) at most (nil: no cap).
    public var maxConnectionsPerAddress: Int?

    /// Defaults: deadlines on, no caps (a server whose one client is the agent, like an engine).
    /// The idle timeout is longer than the agent's upstream pool keeps idle connections (60 s), so
    /// a pooled connection is never closed by the server as the agent reuses it.
    public init(headerTimeout: Duration = .seconds(10), bodyTimeout: Duration = .seconds(60), idleTimeout: Duration = .seconds(90),
                writeTimeout: Duration = .seconds(60), maxConnections: Int? = nil, maxConnectionsPerAddress: Int? = nil) {
        self.headerTimeout = headerTimeout
        self.writeTimeout = writeTimeout
        self.bodyTimeout = bodyTimeout
        self.idleTimeout = idleTimeout
        self.maxConnections = maxConnections
        self.maxConnectionsPerAddress = maxConnectionsPerAddress
    }

    /// File descriptors a process keeps for everything but its listeners' clients: upstream
    /// connections are counted separately (one per proxied request), this is logs, SQLite, pipes.
    static let reservedDescriptors = 256

    /// The process's open-file soft limit raised to its hard limit (a 1024 default is common and
    /// far too low for a gateway); returns the soft limit now in force.
    @discardableResult
    public static func raiseOpenFileLimit() -> Int {
        #if canImport(Glibc)
        let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
        #else
        let resource = RLIMIT_NOFILE
        #endif
        var limit = rlimit()
        guard getrlimit(resource, &limit) == 0 else { return 1024 }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(resource, &raised) == 0 { limit = raised }
        }
        return limit.rlim_cur >= rlim_t(Int.max) ? Int.max : Int(limit.rlim_cur)
    }

    /// The most client connections a listener can hold when each may need an upstream connection
    /// too, within `openFiles` descriptors shared with `otherListeners` connections.
    public static func connectionsAffordable(openFiles: Int, otherListeners: Int = 0) -> Int {
        max(16, (openFiles - reservedDescriptors - otherListeners) / 2)
    }
}

/// Counts a listener's open connections, in all and per client address, and refuses new ones over
/// its caps. Shared by every connection of one listener.
public final class ConnectionLimiter: Sendable {
    public let maxConnections: Int?
    public let maxConnectionsPerAddress: Int?
    private let state = Mutex<(total: Int, byAddress: [String: Int])>((0, [:]))

    public init(maxConnections: Int?, maxConnectionsPerAddress: Int?) {
        self.maxConnections = maxConnections
        self.maxConnectionsPerAddress = maxConnectionsPerAddress
    }

    public enum Refusal: Sendable, Equatable {
        case total(Int)
        case perAddress(Int)
    }

    /// Counts a new connection from `address`, or says which cap it is over (then it is not counted).
    public func admit(_ address: String) -> Refusal? {
        state.withLock { state in
            if let cap = maxConnections, state.total >= cap { return .total(cap) }
            let fromAddress = state.byAddress[address, default: 0]
            if let cap = maxConnectionsPerAddress, fromAddress >= cap { return .perAddress(cap) }
            state.total += 1
            state.byAddress[address] = fromAddress + 1
            return nil
        }
    }

    public func release(_ address: String) {
        state.withLock { state in
            state.total -= 1
            let left = state.byAddress[address, default: 1] - 1
            state.byAddress[address] = left > 0 ? left : nil
        }
    }

    /// Open connections now, in all.
    public var open: Int { state.withLock { $0.total } }

    /// The key a client's connections are counted under: its IPv4 address, or its IPv6 /64 (one
    /// host usually holds a whole /64). An IPv4-mapped IPv6 address counts as its IPv4 address.
    public static func key(_ address: SocketAddress?) -> String {
        switch address {
        case .v4:
            return address?.ipAddress ?? "?"
        case .v6:
            guard let text = address?.ipAddress else { return "?" }
            var raw = in6_addr()
            guard inet_pton(AF_INET6, text, &raw) == 1 else { return text }
            let bytes = withUnsafeBytes(of: raw) { Array($0) }
            if bytes[0..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xff && bytes[11] == 0xff {
                return bytes[12...].map(String.init).joined(separator: ".")
            }
            return bytes[0..<8].map { String($0, radix: 16) }.joined(separator: ":") + "::/64"
        default:
            return "local"
        }
    }
}
