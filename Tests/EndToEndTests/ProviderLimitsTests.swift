import AsyncHTTPClient
import Foundation
import LumenAPI
import LumenTestSupport
import NIOCore
import NIOHTTP1
import Testing
import Synchronization
import Glibc

/// A listening socket on 127.0.0.1 that the test drives by hand.
final class RawListener: @unchecked Sendable {
    let socket: Int32
    let port: Int
    private let held = Mutex<[Int32]>([])

    /// `backlog` 0 holds one connection the server never accepts; connects after it hang.
    init(backlog: Int32) throws {
        let fd = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(fd, pointer, length) == 0 && listen(fd, backlog) == 0 && getsockname(fd, pointer, &length) == 0
            }
        }
        guard bound else {
            Glibc.close(fd)
            throw POSIXError(.EADDRINUSE)
        }
        socket = fd
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    /// Answers every request with a 200 head and the first bytes of a longer body, then sends nothing more.
    func serveStalledAnswers() {
        let thread = Thread { [self] in
            while true {
                let client = accept(socket, nil, nil)
                guard client >= 0 else { return }
                held.withLock { $0.append(client) }
                var buffer = [UInt8](repeating: 0, count: 65536)
                _ = recv(client, &buffer, buffer.count, 0)
                var answer = Array("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"id\":\"chatcmpl-1\",".utf8)
                _ = send(client, &answer, answer.count, Int32(MSG_NOSIGNAL))
            }
        }
        thread.start()
    }

    func close() {
        shutdown(socket, Int32(SHUT_RDWR))
        Glibc.close(socket)
        for client in held.withLock({ $0 }) { Glibc.close(client) }
    }
}

/// A Provider's `maxConcurrency` and `timeouts.connect`/`idle` against real slow upstreams.
@Suite(.serialized) struct ProviderLimitsTests {
    static func provider(_ name: String, baseURL: String, extra: String) -> String {
        """
        ---
        apiVersion: lumen.ai/v1
        kind: Provider
        metadata: {name: \(name)}
        spec: {baseURL: "\(baseURL)"\(extra)}
        ---
        apiVersion: lumen.ai/v1
        kind: Model
        metadata: {name: via-\(name)}
        spec:
          provider: \(name)
          pricing: {inputPerMTok: 1, outputPerMTok: 2}
          quality: 0.5
          contextWindow: 8192
        """
    }

    static func upstreamHealth(_ cluster: LiveCluster) async throws -> String {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(cluster.adminPort)/v1/health")
        request.headers.add(name: "authorization", value: "Bearer \(cluster.token)")
        return try await send(request).body
    }

    @Test func aProviderAtItsMaxConcurrencyPassesRequestsToTheNextCandidate() async throws {
        try await withTemporaryDirectoryAsync { dir in
            let cluster = LiveCluster(dir: dir)
            defer { cluster.stop() }
            let simulator = try cluster.startSimulator(["--ttft", "0ms", "--itl", "200ms"])
            try cluster.startAgent()
            let manifests = cluster.manifests(endpoint: simulator, routeTo: "via-one, sim-b",
                                              extraModels: Self.provider("one", baseURL: simulator, extra: ", maxConcurrency: 1"))
            #expect(try cluster.apply(manifests).exitCode == 0)
            let key = try cluster.createKey("bounded")
            // A 4 s stream holds the provider's one place.
            let stream = #"{"model":"lumen/auto","stream":true,"max_tokens":20,"ignore_eos":true,"messages":[{"role":"user","content":"hi"}]}"#
            let held = try await testClient.execute(chatRequest(port: cluster.publicPort, key: key, body: stream), timeout: .seconds(60))
            #expect(held.status == .ok && held.headers.first(name: "x-lumen-model") == "via-one")
            let passed = try await send(chatRequest(port: cluster.publicPort, key: key, body: chatBody))
            #expect(passed.status == 200 && passed.headers.first(name: "x-lumen-model") == "sim-b", "\(passed)")
            // Once the stream ends its place is free again.
            _ = try await held.body.collect(upTo: 1 << 20)
            var model = ""
            for _ in 0..<50 where model != "via-one" {
                model = try await send(chatRequest(port: cluster.publicPort, key: key, body: chatBody)).headers.first(name: "x-lumen-model") ?? ""
                if model != "via-one" { try await Task.sleep(for: .milliseconds(100)) }
            }
            #expect(model == "via-one")
        }
    }

    @Test func aProviderThatNeverAcceptsFailsAtItsConnectTimeoutNotItsFirstTokenTimeout() async throws {
        try await withTemporaryDirectoryAsync { dir in
            let cluster = LiveCluster(dir: dir)
            defer { cluster.stop() }
            let listener = try RawListener(backlog: 0)
            defer { listener.close() }
            // The one connection the backlog holds; the agent's connects then wait for a SYN-ACK that never comes.
            let filler = try RawConnection(port: listener.port)
            defer { filler.close() }
            let simulator = try cluster.startSimulator(["--ttft", "0ms", "--itl", "0ms"])
            try cluster.startAgent()
            let provider = Self.provider("deaf", baseURL: "http://127.0.0.1:\(listener.port)/v1",
                                         extra: ", timeouts: {connect: 300ms, firstToken: 3s}")
            #expect(try cluster.apply(cluster.manifests(endpoint: simulator, extraModels: provider)).exitCode == 0)
            let key = try cluster.createKey("deaf")
            let answer = try await send(chatRequest(port: cluster.publicPort, key: key, body: chatBody.replacingOccurrences(of: "lumen/auto", with: "via-deaf")))
            #expect(answer.status == 502)
            #expect(answer.body.contains("provider/deaf: connection timed out"), "\(answer.body)")
        }
    }

    @Test func aWholeAnswerThatStopsMidBodyFailsAtTheIdleTimeout() async throws {
        try await withTemporaryDirectoryAsync { dir in
            let cluster = LiveCluster(dir: dir)
            defer { cluster.stop() }
            let listener = try RawListener(backlog: 16)
            defer { listener.close() }
            listener.serveStalledAnswers()
            let simulator = try cluster.startSimulator(["--ttft", "0ms", "--itl", "0ms"])
            try cluster.startAgent()
            let provider = Self.provider("stalls", baseURL: "http://127.0.0.1:\(listener.port)/v1", extra: ", timeouts: {idle: 500ms}")
            #expect(try cluster.apply(cluster.manifests(endpoint: simulator, extraModels: provider)).exitCode == 0)
            let key = try cluster.createKey("stalls")
            // Without the idle timeout this waits on the half-sent body until the client gives up (30 s).
            let answer = try await send(chatRequest(port: cluster.publicPort, key: key, body: chatBody.replacingOccurrences(of: "lumen/auto", with: "via-stalls")))
            #expect(answer.status == 502, "\(answer)")
            let health = try await Self.upstreamHealth(cluster)
            #expect(health.contains("no data from the upstream for 500 ms (its timeouts.idle)"), "\(health)")
        }
    }

    @Test func metricsNeedTheClusterTokenAndUpstreamErrorsCarryNoLibraryText() async throws {
        try await withTemporaryDirectoryAsync { dir in
            let cluster = LiveCluster(dir: dir)
            defer { cluster.stop() }
            let simulator = try cluster.startSimulator(["--ttft", "0ms", "--itl", "0ms"])
            try cluster.startAgent()
            // https against a plain-HTTP server: the TLS handshake fails.
            let tls = Self.provider("tls", baseURL: simulator.replacingOccurrences(of: "http://", with: "https://"), extra: "")
            #expect(try cluster.apply(cluster.manifests(endpoint: simulator, extraModels: tls)).exitCode == 0)
            let key = try cluster.createKey("tls")
            let answer = try await send(chatRequest(port: cluster.publicPort, key: key, body: chatBody.replacingOccurrences(of: "lumen/auto", with: "via-tls")))
            #expect(answer.status == 502)
            #expect(answer.body.contains("the TLS handshake failed"), "\(answer.body)")
            for leak in ["NIOSSL", "BoringSSL", "SSL_", ".swift", "/work/", "checkouts", "Error("] {
                #expect(!answer.body.contains(leak), "\(leak) in \(answer.body)")
            }

            let metrics = "http://127.0.0.1:\(cluster.adminPort)/metrics"
            let anonymous = try await send(HTTPClientRequest(url: metrics))
            #expect(anonymous.status == 401 && !anonymous.body.contains("lumen_"))
            var authorized = HTTPClientRequest(url: metrics)
            authorized.headers.add(name: "authorization", value: "Bearer \(cluster.token)")
            let page = try await send(authorized)
            #expect(page.status == 200 && page.body.contains("lumen_requests_total"))
        }
    }
}
