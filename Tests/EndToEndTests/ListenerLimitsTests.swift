import AsyncHTTPClient
import Foundation
import LumenAPI
import LumenTestSupport
import NIOCore
import NIOHTTP1
import Testing
import Glibc

/// A TCP connection on a raw socket, from a chosen loopback address (Linux routes all of 127/8 to
/// lo), so a test can be several clients at once.
final class RawConnection {
    let socket: Int32
    private(set) var received = ""
    private(set) var closed = false

    init(port: Int, from source: String = "127.0.0.1") throws {
        socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var local = sockaddr_in()
        local.sin_family = sa_family_t(AF_INET)
        local.sin_addr.s_addr = inet_addr(source)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &local) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, connected == 0 else {
            Glibc.close(socket)
            throw POSIXError(.ECONNREFUSED)
        }
    }

    /// Sends `text`; false once the server has closed or reset the connection.
    @discardableResult
    func send(_ text: String) -> Bool {
        var bytes = Array(text.utf8)
        return Glibc.send(socket, &bytes, bytes.count, Int32(MSG_NOSIGNAL)) == bytes.count
    }

    /// Reads what arrives within `seconds` (returning early once the server closed); appends it to `received`.
    @discardableResult
    func read(waiting seconds: Double) -> String {
        let deadline = Date().addingTimeInterval(seconds)
        var text = ""
        while !closed {
            let left = Int32(max(0, deadline.timeIntervalSinceNow * 1000))
            var descriptor = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
            guard poll(&descriptor, 1, left) > 0 else { break }
            var buffer = [UInt8](repeating: 0, count: 4096)
            let count = recv(socket, &buffer, buffer.count, 0)
            if count <= 0 {
                closed = true
            } else {
                text += String(decoding: buffer[..<count], as: UTF8.self)
            }
        }
        received += text
        return text
    }

    /// Sends a whole `GET path` and reads its answer (up to `seconds`).
    static func get(_ path: String, port: Int, from source: String = "127.0.0.1", waiting seconds: Double = 10) throws -> String {
        let connection = try RawConnection(port: port, from: source)
        defer { connection.close() }
        connection.send("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        connection.read(waiting: seconds)
        return connection.received
    }

    func close() {
        Glibc.close(socket)
    }
}

/// The agent's listeners against clients that send slowly or not at all, and against floods of
/// connections: each is cut off or refused at its limit, and `/health` keeps answering.
@Suite(.serialized) struct ListenerLimitsTests {
    @Test func aHeadTrickledByteByByteIsCutOffAtTheHeaderDeadlineOnBothPorts() async throws {
        try await withTemporaryDirectoryAsync { dir in
            let cluster = LiveCluster(dir: dir)
            defer { cluster.stop() }
            try cluster.startAgent(extra: ["--header-timeout", "1"])
            // About 20 s to send whole at one byte per 250 ms; the deadline is 1 s.
            let request = "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: \(String(repeating: "a", count: 40))\r\n\r\n"
            for port in [cluster.publicPort, cluster.adminPort] {
                let connection = try RawConnection(port: port)
                defer { connection.close() }
                var sent = 0
                for character in request where !connection.closed {
                    guard connection.send(String(character)) else { break }
                    sent += 1
                    connection.read(waiting: 0.25)
                }
                connection.read(waiting: 2)
                #expect(connection.received.hasPrefix("HTTP/1.1 408"), "port \(port): \(connection.received)")
                #expect(connection.received.contains(#""code":"request_timeout""#))
                #expect(connection.closed && sent < request.utf8.count, "port \(port): \(sent) of \(request.utf8.count) bytes sent")
            }
            // A socket that sends nothing at all is closed at the same deadline, without an answer to no request.
            let silent = try RawConnection(port: cluster.publicPort)
            defer { silent.close() }
            silent.read(waiting: 15)
            #expect(silent.closed && silent.received.isEmpty, "\(silent.received)")
        }
    }

    @Test func slowBodiesAndIdleConnectionsAreClosedButAStreamThatKeepsWritingIsNot() async throws {
        try await withTemporaryDirectoryAsync { dir in
            let cluster = LiveCluster(dir: dir)
            defer { cluster.stop() }
            let simulator = try cluster.startSimulator(["--ttft", "0ms", "--itl", "250ms"])
            try cluster.startAgent(extra: ["--header-timeout", "1", "--body-timeout", "1", "--idle-timeout", "1"])
            #expect(try cluster.apply(cluster.manifests(endpoint: simulator)).exitCode == 0)
            let key = try cluster.createKey("slow")

            // A stream of 16 tokens 250 ms apart (4 s) outlives every deadline and arrives whole.
            let body = #"{"model":"lumen/auto","stream":true,"max_tokens":16,"ignore_eos":true,"messages":[{"role":"user","content":"hi"}]}"#
            let response = try await testClient.execute(chatRequest(port: cluster.publicPort, key: key, body: body), timeout: .seconds(60))
            var parser = SSEParser()
            var events = 0, done = false
            for try await chunk in response.body {
                for event in try parser.feed(chunk) {
                    if event == SSE.done { done = true } else { events += 1 }
                }
            }
            #expect(response.status == .ok && done && events >= 16, "\(events) events, done: \(done)")

            // A kept-alive connection with no next request is closed after the idle timeout.
            let idle = try RawConnection(port: cluster.publicPort)
            defer { idle.close() }
            idle.send("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            idle.read(waiting: 10)
            #expect(idle.received.hasPrefix("HTTP/1.1 200") && idle.closed, "\(idle.received)")

            // A body trickled 10 bytes per 300 ms (6 s for 200 bytes) is cut off at the body deadline.
            let slow = try RawConnection(port: cluster.publicPort)
            defer { slow.close() }
            slow.send("POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(key)\r\n"
                      + "Content-Type: application/json\r\nContent-Length: 200\r\n\r\n")
            var sent = 0
            while sent < 200 && !slow.closed {
                guard slow.send(String(repeating: " ", count: 10)) else { break }
                sent += 10
                slow.read(waiting: 0.3)
            }
            slow.read(waiting: 2)
            #expect(slow.closed && sent < 200, "\(sent) bytes of the body sent; answer: \(slow.received)")
        }
    }

    /// A client that opens a stream and never reads it loses the connection at the write deadline,
    /// and its key's stream slot comes back.
    @Test func aStreamWhoseClientStopsReadingIsClosedAndGivesItsSlotBack() async throws {
        try await withTemporaryDirectoryAsync { dir in
            let cluster = LiveCluster(dir: dir)
            defer { cluster.stop() }
            let simulator = try cluster.startSimulator(["--ttft", "0ms", "--itl", "0ms"])
            try cluster.startAgent(extra: ["--write-timeout", "3", "--probe-interval", "0"])
            #expect(try cluster.apply(cluster.manifests(endpoint: simulator)).exitCode == 0)
            let key = try cluster.createKey("stuck", ["--max-streams", "1"])
            // Far more than the socket buffers hold: the agent's writes stop while this client does not read.
            let long = #"{"model":"lumen/auto","stream":true,"max_tokens":8000,"ignore_eos":true,"messages":[{"role":"user","content":"hi"}]}"#
            let stuck = try RawConnection(port: cluster.publicPort)
            defer { stuck.close() }
            var small: Int32 = 4096
            setsockopt(stuck.socket, SOL_SOCKET, SO_RCVBUF, &small, socklen_t(MemoryLayout<Int32>.size))
            stuck.send("POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(key)\r\n"
                       + "Content-Type: application/json\r\nContent-Length: \(long.utf8.count)\r\n\r\n" + long)
            let short = #"{"model":"lumen/auto","stream":true,"max_tokens":4,"messages":[{"role":"user","content":"hi"}]}"#
            // Once the stuck stream is admitted it holds the key's one slot...
            var answer = try await send(chatRequest(port: cluster.publicPort, key: key, body: short))
            for _ in 0..<100 where answer.status != 429 {
                try await Task.sleep(for: .milliseconds(20))
                answer = try await send(chatRequest(port: cluster.publicPort, key: key, body: short))
            }
            #expect(answer.status == 429, "the stuck stream never held the key's one slot: \(answer.status)")
            // ...until the write deadline closes its connection.
            for _ in 0..<100 where answer.status != 200 {
                try await Task.sleep(for: .milliseconds(100))
                answer = try await send(chatRequest(port: cluster.publicPort, key: key, body: short))
            }
            #expect(answer.status == 200 && answer.body.contains("[DONE]"), "\(answer.status) \(answer.body.prefix(200))")
        }
    }

    @Test func connectionsOverTheCapsAreAnswered503WhileOtherAddressesAreServed() async throws {
        try await withTemporaryDirectoryAsync { dir in
            let cluster = LiveCluster(dir: dir)
            defer { cluster.stop() }
            try cluster.startAgent(extra: ["--header-timeout", "120", "--max-connections", "16", "--max-connections-per-address", "6"])
            var open: [RawConnection] = []
            defer { for connection in open { connection.close() } }
            /// Opens `count` silent connections from `source`; returns how many were refused with 503.
            func flood(_ count: Int, from source: String, expectRefused: Int) throws -> [RawConnection] {
                let connections = try (0..<count).map { _ in try RawConnection(port: cluster.publicPort, from: source) }
                open += connections
                // Refused ones are answered at once; wait until as many as expected were, then a little more.
                for _ in 0..<50 where connections.filter(\.closed).count < expectRefused {
                    for connection in connections where !connection.closed { connection.read(waiting: 0.02) }
                }
                for connection in connections where !connection.closed { connection.read(waiting: 0.2) }
                return connections.filter(\.closed)
            }

            // One address: 6 are held, the other 4 get 503 at once.
            let refused = try flood(10, from: "127.0.0.2", expectRefused: 4)
            #expect(refused.count == 4)
            #expect(refused.allSatisfy { $0.received.hasPrefix("HTTP/1.1 503") && $0.received.contains("too_many_connections") })
            #expect(refused.allSatisfy { $0.received.lowercased().contains("connection: close") })
            // Another address is served; the full one gets 503 for its next connection too.
            #expect(try RawConnection.get("/health", port: cluster.publicPort, from: "127.0.0.1").hasPrefix("HTTP/1.1 200"))
            #expect(try RawConnection.get("/health", port: cluster.publicPort, from: "127.0.0.2").hasPrefix("HTTP/1.1 503"))

            // The whole listener: 6 + 6 + 4 = 16 held, then everyone gets 503.
            #expect(try flood(6, from: "127.0.0.3", expectRefused: 0).isEmpty)
            #expect(try flood(6, from: "127.0.0.4", expectRefused: 2).count == 2)
            let full = try RawConnection.get("/health", port: cluster.publicPort, from: "127.0.0.5")
            #expect(full.hasPrefix("HTTP/1.1 503") && full.contains("(16)"), "\(full)")

            // Closed connections give their places back.
            for connection in open { connection.close() }
            open.removeAll()
            var answer = ""
            for _ in 0..<50 where !answer.hasPrefix("HTTP/1.1 200") {
                answer = try RawConnection.get("/health", port: cluster.publicPort, from: "127.0.0.2")
                if !answer.hasPrefix("HTTP/1.1 200") { try await Task.sleep(for: .milliseconds(100)) }
            }
            #expect(answer.hasPrefix("HTTP/1.1 200"), "\(answer)")
        }
    }

    /// The review's reproduction: 300 silent sockets against an agent limited to 256 open files
    /// made `/health` time out on both ports. Now the caps fit the file limit, so the flood is
    /// refused before the agent runs out of descriptors.
    @Test func threeHundredSilentSocketsUnderA256FileLimitLeaveHealthAnswering() async throws {
        try await withTemporaryDirectoryAsync { dir in
            let cluster = LiveCluster(dir: dir)
            defer { cluster.stop() }
            let process = ManagedProcess("/usr/bin/prlimit",
                                         ["--nofile=256:256", builtExecutable("lumen-agent"), "run", "--home", dir + "/agent",
                                          "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0", "--header-timeout", "120"],
                                         environment: cluster.environment)
            let ports = try process.start(waitingFor: #"http://127\.0\.0\.1:(\d+)/v1 \(admin http://127\.0\.0\.1:(\d+)\)"#)
            defer { process.stop() }
            let publicPort = try #require(Int(ports[0])), adminPort = try #require(Int(ports[1]))
            var silent: [RawConnection] = []
            defer { for connection in silent { connection.close() } }
            for port in [publicPort, adminPort] {
                for _ in 0..<150 { silent.append(try RawConnection(port: port, from: "127.0.0.2")) }
            }
            for connection in silent { connection.read(waiting: 0.01) }
            let publicHealth = try RawConnection.get("/health", port: publicPort)
            let adminHealth = try RawConnection.get("/health", port: adminPort)
            #expect(publicHealth.hasPrefix("HTTP/1.1 200"), "\(publicHealth)")
            #expect(adminHealth.hasPrefix("HTTP/1.1 200"), "\(adminHealth)")
            #expect(silent.filter(\.closed).count > 250, "most of the flood is refused at once")
        }
    }

    @Test func requestsOverTheInFlightBoundGet503WithRetryAfter() async throws {
        try await withTemporaryDirectoryAsync { dir in
            let cluster = LiveCluster(dir: dir)
            defer { cluster.stop() }
            let simulator = try cluster.startSimulator(["--ttft", "0ms", "--itl", "200ms"])
            try cluster.startAgent(extra: ["--max-in-flight", "2"])
            #expect(try cluster.apply(cluster.manifests(endpoint: simulator)).exitCode == 0)
            let key = try cluster.createKey("busy")
            let stream = #"{"model":"lumen/auto","stream":true,"max_tokens":20,"ignore_eos":true,"messages":[{"role":"user","content":"hi"}]}"#
            // Two streams of 4 s each hold both places while their heads are already sent.
            let first = try await testClient.execute(chatRequest(port: cluster.publicPort, key: key, body: stream), timeout: .seconds(60))
            let second = try await testClient.execute(chatRequest(port: cluster.publicPort, key: key, body: stream), timeout: .seconds(60))
            #expect(first.status == .ok && second.status == .ok)
            let refused = try await send(chatRequest(port: cluster.publicPort, key: key, body: chatBody))
            #expect(refused.status == 503 && refused.headers.first(name: "retry-after") == "1", "\(refused)")
            let error = try JSONValue(json: refused.body)["error"]
            #expect(error?["code"]?.stringValue == "server_overloaded" && error?["type"]?.stringValue == "server_error")
            // Liveness is never counted.
            #expect(try await send(HTTPClientRequest(url: "http://127.0.0.1:\(cluster.publicPort)/health")).status == 200)
            // Once the streams end, their places are free again.
            for response in [first, second] { _ = try await response.body.collect(upTo: 1 << 20) }
            var status = 0
            for _ in 0..<50 where status != 200 {
                status = try await send(chatRequest(port: cluster.publicPort, key: key, body: chatBody)).status
                if status != 200 { try await Task.sleep(for: .milliseconds(100)) }
            }
            #expect(status == 200)
        }
    }
}
