import AsyncHTTPClient
import Foundation
import LumenAPI
import LumenTestSupport
import NIOCore
import NIOHTTP1
import Testing
import Glibc

@Suite(.serialized) struct HealthTests {
    /// Probes find a replica that fails and one that answers its health check but hangs on
    /// generation; one is ejected, the other held back by the ejection cap; traffic goes to the good
    /// one; `lumenctl health` shows it all; a replica that comes back is healthy again.
    @Test func probesEjectBadReplicasWithinTheCapAndRecoveryIsSeen() async throws {
        try await withTemporaryDirectoryAsync { dir in
            let cluster = LiveCluster(dir: dir)
            defer { cluster.stop() }
            let good = try cluster.startSimulator(["--ttft", "1ms", "--itl", "0ms"])
            let failing = ManagedProcess(builtExecutable("lumen-engine"), ["serve", "--simulate", "--port", "0", "--status", "500"])
            let failingPort = try failing.start(waitingFor: #"http://127\.0\.0\.1:(\d+)/v1"#)[0]
            defer { failing.stop() }
            let hanging = try cluster.startSimulator(["--stall-after", "0"])
            try cluster.startAgent(extra: ["--probe-interval", "0.2", "--probe-timeout", "1"])
            let failingURL = "http://127.0.0.1:\(failingPort)/v1"
            let manifests = """
                \(cluster.node)
                ---
                \(LiveCluster.model("trio", [failingURL, hanging, good]))
                """
            #expect(try cluster.apply(manifests).exitCode == 0)
            let key = try cluster.createKey("health")

            func states() throws -> [String: JSONValue] {
                let result = try cluster.lumenctl(["health", "-o", "json"])
                let nodes = try JSONValue(json: result.output).arrayValue ?? []
                var byUpstream: [String: JSONValue] = [:]
                for upstream in nodes.first?["upstreams"]?.arrayValue ?? [] {
                    byUpstream[upstream["upstream"]?.stringValue ?? ""] = upstream
                }
                return byUpstream
            }
            var seen: [String: JSONValue] = [:]
            for _ in 0..<100 {
                seen = try states()
                let failingState = seen["endpoint/\(failingURL)"]?["state"]?.stringValue
                let hangingState = seen["endpoint/\(hanging)"]?["state"]?.stringValue
                if [failingState, hangingState].contains("ejected") && (seen["endpoint/\(failingURL)"]?["requests"]?.intValue ?? 0) >= 3
                    && (seen["endpoint/\(hanging)"]?["requests"]?.intValue ?? 0) >= 3 { break }
                try await Task.sleep(for: .milliseconds(200))
            }
            let bad = [seen["endpoint/\(failingURL)"], seen["endpoint/\(hanging)"]].compactMap { $0 }
            #expect(bad.filter { $0["state"]?.stringValue == "ejected" }.count == 1, "\(seen)")
            // Never more than half of a model's replicas ejected: the other bad one is only degraded.
            #expect(bad.contains { $0["state"]?.stringValue == "degraded" && $0["reason"]?.stringValue?.contains("not ejected") == true }, "\(seen)")
            #expect(seen["endpoint/\(hanging)"]?["lastError"]?.stringValue?.contains("probe") == true, "\(seen)")
            let goodState = seen["endpoint/\(good)"]
            #expect(goodState?["state"]?.stringValue == "healthy" && goodState?["ttftP50Milliseconds"]?.doubleValue != nil, "\(seen)")

            // Traffic goes to the healthy replica first.
            for _ in 0..<4 {
                let answer = try await send(chatRequest(port: cluster.publicPort, key: key,
                                                        body: #"{"model":"trio","messages":[{"role":"user","content":"hi"}]}"#))
                #expect(answer.status == 200, "\(answer.body)")
            }
            let table = try cluster.lumenctl(["health"])
            #expect(table.exitCode == 0 && table.output.contains("STATE") && table.output.contains("ejected"), "\(table)")
            #expect(table.output.contains("healthy") && table.output.contains("local"), "\(table)")

            // The failing replica is replaced by a working one on the same address: probes bring it back.
            failing.stop()
            let revived = ManagedProcess(builtExecutable("lumen-engine"), ["serve", "--simulate", "--port", failingPort, "--ttft", "1ms"])
            _ = try revived.start(waitingFor: #"http://127\.0\.0\.1:(\d+)/v1"#)
            defer { revived.stop() }
            var revivedState = ""
            for _ in 0..<150 where revivedState != "healthy" {
                try await Task.sleep(for: .milliseconds(200))
                revivedState = try states()["endpoint/\(failingURL)"]?["state"]?.stringValue ?? ""
            }
            #expect(revivedState == "healthy")
        }
    }

    @Test func anUnreachableNodeIsReported() throws {
        try withTemporaryDirectory { dir in
            let cluster = LiveCluster(dir: dir)
            let applied = try cluster.apply("""
                apiVersion: lumen.ai/v1
                kind: Node
                metadata: {name: gone}
                spec: {address: "http://127.0.0.1:9", adminAddress: "http://127.0.0.1:9"}
                """)
            #expect(applied.error.contains("node/gone: not updated"), "\(applied)")
            let health = try cluster.lumenctl(["health"])
            #expect(health.exitCode == 1 && health.output.contains("unreachable"), "\(health)")
        }
    }
}

@Suite(.serialized) struct RetryTests {
    /// An upstream that only says 429 is retried (honouring its retry-after, up to failover.maxAttempts
    /// tries), then the client gets 429 with retry-after rather than a 502.
    @Test func aRateLimitedUpstreamIsRetriedThenTheClientIsToldToWait() async throws {
        try await withTemporaryDirectoryAsync { dir in
            let cluster = LiveCluster(dir: dir)
            defer { cluster.stop() }
            let limited = try cluster.startSimulator(["--status", "429"])
            try cluster.startAgent(extra: ["--probe-interval", "0"])
            #expect(try cluster.apply(cluster.manifests(endpoint: limited)).exitCode == 0)
            let key = try cluster.createKey("retry")
            let answer = try await send(chatRequest(port: cluster.publicPort, key: key, body: chatBody))
            #expect(answer.status == 429, "\(answer.body)")
            #expect(answer.headers.first(name: "retry-after") == "1")
            #expect(answer.body.contains("rate-limited") && answer.body.contains("retry after 1 s"), "\(answer.body)")
            let tries = try await metric("lumen_simulator_requests_total", at: limited.replacingOccurrences(of: "/v1", with: "/metrics"))
            #expect(tries == 3, "the route's failover.maxAttempts (3) tries, one upstream: \(tries)")
        }
    }
}

/// A TCP socket bound to a free loopback port.
func boundLoopbackSocket() throws -> (socket: Int32, address: sockaddr_in, port: Int) {
    let bound = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let ok = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(bound, $0, length) == 0 && getsockname(bound, $0, &length) == 0 }
    }
    guard ok else {
        close(bound)
        throw POSIXError(.EADDRINUSE)
    }
    return (bound, address, Int(UInt16(bigEndian: address.sin_port)))
}

/// A loopback port nothing listens on: connecting to it is refused.
func freePort() throws -> Int {
    let bound = try boundLoopbackSocket()
    close(bound.socket)
    return bound.port
}

/// A port that takes no new connections: a listener that never accepts, its queue already full, so
/// the kernel drops further connection attempts (they hang until the caller's timeout).
final class Blackhole {
    private var sockets: [Int32] = []
    let port: Int

    init() throws {
        var (listener, address, port) = try boundLoopbackSocket()
        sockets.append(listener)
        self.port = port
        guard listen(listener, 0) == 0 else { throw POSIXError(.EADDRINUSE) }
        // Fill the accept queue; what comes after is dropped.
        for _ in 0..<3 {
            let filler = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
            _ = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(filler, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            sockets.append(filler)
        }
        usleep(100_000)
    }

    deinit {
        for socket in sockets { close(socket) }
    }
}

extension RetryTests {
    /// A replica whose port swallows connection attempts costs the request one connect timeout, then
    /// the next replica answers; the health board says why.
    @Test func aBlackholedReplicaIsPassedOver() async throws {
        try await withTemporaryDirectoryAsync { dir in
            let cluster = LiveCluster(dir: dir)
            defer { cluster.stop() }
            let hole = try Blackhole()
            let good = try cluster.startSimulator(["--ttft", "1ms"])
            // Taken in turn, the first request starts on the blackholed replica.
            try cluster.startAgent(extra: ["--probe-interval", "0", "--replica-choice", "round-robin"])
            let blackholed = "http://127.0.0.1:\(hole.port)/v1"
            #expect(try cluster.apply(FailoverTests.manifests(cluster, blackholed, good)).exitCode == 0)
            let key = try cluster.createKey("blackhole")
            let stream = try await readStream("http://127.0.0.1:\(cluster.publicPort)/v1/chat/completions", key: key,
                                              body: FailoverTests.body("through the hole", model: "lumen/auto"))
            #expect(stream.status == 200 && stream.done && stream.errors.isEmpty, "\(stream)")
            let health = try cluster.lumenctl(["health", "-o", "wide"])
            #expect(health.output.contains("connection timed out"), "\(health)")
        }
    }
}
