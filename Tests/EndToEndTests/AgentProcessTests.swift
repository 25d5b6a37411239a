import AsyncHTTPClient
import Foundation
import LumenAPI
import LumenStore
import LumenTestSupport
import NIOCore
import NIOHTTP1
import Testing
import Synchronization
import Glibc

/// A simulator, an agent and lumenctl as real processes on loopback ports.
final class LiveCluster: @unchecked Sendable {
    let dir: String
    let token = "e2e-cluster-token-0123456789abcdef"
    var simulators: [ManagedProcess] = []
    var agent: ManagedProcess?
    var publicPort = 0
    var adminPort = 0

    init(dir: String) {
        self.dir = dir
    }

    var environment: [String: String] { ["LUMEN_HOME": dir + "/home", "LUMEN_CLUSTER_TOKEN": token, "NO_COLOR": "1"] }

    /// Starts a simulator and returns its base URL.
    func startSimulator(_ arguments: [String] = []) throws -> String {
        let simulator = ManagedProcess(builtExecutable("lumen-engine"), ["serve", "--simulate", "--port", "0"] + arguments)
        let port = try simulator.start(waitingFor: #"http://127\.0\.0\.1:(\d+)/v1"#)[0]
        simulators.append(simulator)
        return "http://127.0.0.1:\(port)/v1"
    }

    /// Starts the agent (again on its previous ports when restarting); `logLevel` sends its log to `dir/agent.log`.
    func startAgent(extra: [String] = [], logLevel: String? = nil) throws {
        let listen = "127.0.0.1:\(publicPort)", admin = "127.0.0.1:\(adminPort)"
        var environment = environment
        if let logLevel { environment["LUMEN_LOG_LEVEL"] = logLevel }
        let process = ManagedProcess(builtExecutable("lumen-agent"),
                                     ["run", "--home", dir + "/agent", "--listen", listen, "--admin-listen", admin] + extra,
                                     environment: environment, log: logLevel == nil ? nil : dir + "/agent.log")
        let ports = try process.start(waitingFor: #"http://127\.0\.0\.1:(\d+)/v1 \(admin http://127\.0\.0\.1:(\d+)\)"#)
        publicPort = Int(ports[0]) ?? 0
        adminPort = Int(ports[1]) ?? 0
        agent = process
    }

    /// The Node document for this cluster's agent.
    var node: String {
        """
        apiVersion: lumen.ai/v1
        kind: Node
        metadata: {name: local}
        spec: {address: "http://127.0.0.1:\(publicPort)", adminAddress: "http://127.0.0.1:\(adminPort)"}
        """
    }

    /// A Model document served by already-running `endpoints`.
    static func model(_ name: String, _ endpoints: [String], continuation: String? = nil) -> String {
        let list = endpoints.map { "\"\($0)\"" }.joined(separator: ", ")
        return """
            apiVersion: lumen.ai/v1
            kind: Model
            metadata: {name: \(name)}
            spec:
              deployment: {endpoints: [\(list)]\(continuation.map { ", continuation: \($0)" } ?? "")}
              pricing: {inputPerMTok: 1, outputPerMTok: 2}
              quality: 0.5
              contextWindow: 8192
            """
    }

    func manifests(endpoint: String, routeTo model: String = "sim-a", extraModels: String = "") -> String {
        """
        \(node)
        ---
        \(LiveCluster.model("sim-a", [endpoint]))
        ---
        \(LiveCluster.model("sim-b", [endpoint]))
        ---
        apiVersion: lumen.ai/v1
        kind: Route
        metadata: {name: auto}
        spec: {candidates: [\(model)], strategy: pinned}
        \(extraModels)
        """
    }

    @discardableResult
    func lumenctl(_ arguments: [String]) throws -> CLIResult {
        let child = try LumenctlProcess(arguments, home: dir + "/home", scratch: dir, environment: environment)
        try child.start()
        return child.wait()
    }

    func apply(_ text: String, name: String = "lumen.yaml") throws -> CLIResult {
        let file = try writeFile(dir, name, text)
        return try lumenctl(["apply", "-f", file])
    }

    func createKey(_ name: String, _ options: [String] = []) throws -> String {
        let result = try lumenctl(["keys", "create", name, "-o", "json"] + options)
        return try JSONValue(json: result.output)["key"]?.stringValue ?? ""
    }

    func stop() {
        agent?.stop()
        for simulator in simulators { simulator.stop() }
    }
}

func chatRequest(port: Int, key: String?, body: String, path: String = "/v1/chat/completions") -> HTTPClientRequest {
    var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
    request.method = .POST
    request.headers.add(name: "content-type", value: "application/json")
    if let key { request.headers.add(name: "authorization", value: "Bearer \(key)") }
    request.body = .bytes(ByteBuffer(string: body))
    return request
}

/// A client that opens as many connections as a test needs (the shared one stops at 8 per host).
let testClient: HTTPClient = {
    var configuration = HTTPClient.Configuration()
    configuration.connectionPool = .init(idleTimeout: .seconds(30), concurrentHTTP1ConnectionsPerHostSoftLimit: 256)
    return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
}()

func send(_ request: HTTPClientRequest) async throws -> (status: Int, headers: HTTPHeaders, body: String) {
    let response = try await testClient.execute(request, timeout: .seconds(30))
    let body = try await response.body.collect(upTo: 16 << 20)
    return (Int(response.status.code), response.headers, String(buffer: body))
}

let chatBody = #"{"model":"lumen/auto","messages":[{"role":"user","content":"hello"}]}"#

@Suite(.serialized) struct AgentProcessTests {
    @Test func stoppedAgentIsReportedSyncCatchesUpAndARestartServesTheLastSnapshot() async throws {
        try await withTemporaryDirectoryAsync { dir in
            let cluster = LiveCluster(dir: dir)
            defer { cluster.stop() }
            let endpoint = try cluster.startSimulator(["--ttft", "1ms", "--itl", "0ms"])
            try cluster.startAgent()
            #expect(try cluster.apply(cluster.manifests(endpoint: endpoint)).error.contains("node/local: at revision 1"))
            let key = try cluster.createKey("dev")
            var answer = try await send(chatRequest(port: cluster.publicPort, key: key, body: chatBody))
            #expect(answer.status == 200 && answer.headers.first(name: "x-lumen-model") == "sim-a")

            cluster.agent?.stop()
            let pushed = try cluster.apply(cluster.manifests(endpoint: endpoint, routeTo: "sim-b"))
            // Stored, but not everywhere: exit 1, naming the node and what to run.
            #expect(pushed.exitCode == 1, "\(pushed)")
            #expect(pushed.error.contains("node/local: not updated: unreachable"), "\(pushed)")
            #expect(pushed.error.contains("revision 3 is stored in the control store, but node/local did not get it; run lumenctl sync"), "\(pushed)")

            // Restarted with no control plane reachable from it: it serves what it last had.
            try cluster.startAgent()
            answer = try await send(chatRequest(port: cluster.publicPort, key: key, body: chatBody))
            #expect(answer.status == 200 && answer.headers.first(name: "x-lumen-model") == "sim-a")

            let sync = try cluster.lumenctl(["sync"])
            #expect(sync.exitCode == 0 && sync.error.contains("node/local: at revision 3"), "\(sync)")
            answer = try await send(chatRequest(port: cluster.publicPort, key: key, body: chatBody))
            #expect(answer.headers.first(name: "x-lumen-model") == "sim-b")
            let nodes = try cluster.lumenctl(["get", "nodes", "-o", "wide"])
            #expect(nodes.output.contains("reachable") && nodes.output.contains("3"), "\(nodes)")
        }
    }

    @Test func aNewSnapshotChangesNoOpenStream() async throws {
        try await withTemporaryDirectoryAsync { dir in
            let cluster = LiveCluster(dir: dir)
            defer { cluster.stop() }
            let endpoint = try cluster.startSimulator(["--ttft", "1ms", "--itl", "40ms"])
            try cluster.startAgent()
            _ = try cluster.apply(cluster.manifests(endpoint: endpoint))
            let key = try cluster.createKey("dev")
            let body = #"{"model":"lumen/auto","stream":true,"messages":[{"role":"user","content":"hello"}]}"#
            let expected = try await send(chatRequest(port: cluster.publicPort, key: key, body: body.replacingOccurrences(of: #""stream":true,"#, with: "")))
            let text = try JSONValue(json: expected.body)["choices"]?.arrayValue?.first?["message"]?["content"]?.stringValue ?? ""

            let streams = try await withThrowingTaskGroup(of: (String, Set<String>, Bool).self) { group in
                let started = Counter()
                for _ in 0..<50 {
                    group.addTask {
                        let response = try await testClient.execute(chatRequest(port: cluster.publicPort, key: key, body: body), timeout: .seconds(60))
                        var parser = SSEParser()
                        var content = ""
                        var models: Set<String> = []
                        var done = false
                        var counted = false
                        for try await chunk in response.body {
                            for event in try parser.feed(chunk) {
                                if event == SSE.done { done = true; continue }
                                let value = try JSONValue(json: event)
                                if let model = value["model"]?.stringValue { models.insert(model) }
                                content += value["choices"]?.arrayValue?.first?["delta"]?["content"]?.stringValue ?? ""
                                if !counted { counted = true; started.increment() }
                            }
                        }
                        return (content, models, done)
                    }
                }
                // Once every stream is open, move the route to the other model.
                while started.value < 50 { try await Task.sleep(for: .milliseconds(10)) }
                let applied = try cluster.apply(cluster.manifests(endpoint: endpoint, routeTo: "sim-b"))
                #expect(applied.error.contains("at revision 3"), "\(applied)")
                var results: [(String, Set<String>, Bool)] = []
                for try await result in group { results.append(result) }
                return results
            }
            #expect(streams.count == 50)
            #expect(streams.allSatisfy { $0.0 == text && $0.1 == ["sim-a"] && $0.2 })
            let after = try await send(chatRequest(port: cluster.publicPort, key: key, body: chatBody))
            #expect(after.headers.first(name: "x-lumen-model") == "sim-b")
        }
    }

    @Test func sigtermLetsOpenStreamsFinishAndFlushesTheLedger() async throws {
        try await withTemporaryDirectoryAsync { dir in
            let cluster = LiveCluster(dir: dir)
            defer { cluster.stop() }
            let endpoint = try cluster.startSimulator(["--ttft", "1ms", "--itl", "60ms"])
            try cluster.startAgent()
            _ = try cluster.apply(cluster.manifests(endpoint: endpoint))
            let key = try cluster.createKey("dev")
            let body = #"{"model":"lumen/auto","stream":true,"messages":[{"role":"user","content":"hello"}]}"#
            let firstEvent = Counter()
            let stream = Task {
                let response = try await testClient.execute(chatRequest(port: cluster.publicPort, key: key, body: body), timeout: .seconds(30))
                var parser = SSEParser()
                var events: [String] = []
                for try await chunk in response.body {
                    events += try parser.feed(chunk)
                    firstEvent.increment()
                }
                return events
            }
            while firstEvent.value == 0 { try await Task.sleep(for: .milliseconds(5)) }
            let agent = try #require(cluster.agent)
            agent.process.terminate()
            let events = try await stream.value
            #expect(events.last == SSE.done, "the open stream was cut by the shutdown")
            agent.process.waitUntilExit()
            #expect(agent.process.terminationStatus == 0)
            let ledger = try AgentStore(home: dir + "/agent").usage()
            #expect(ledger.contains { $0.outcome == .completed && $0.completionTokens > 0 })
        }
    }

    @Test func badInputGetsClearErrorsAndTheAgentKeepsServing() async throws {
        try await withTemporaryDirectoryAsync { dir in
            let cluster = LiveCluster(dir: dir)
            defer { cluster.stop() }
            let endpoint = try cluster.startSimulator(["--ttft", "1ms", "--itl", "30ms"])
            try cluster.startAgent(extra: ["--max-request-bytes", "65536"])
            _ = try cluster.apply(cluster.manifests(endpoint: endpoint))
            let key = try cluster.createKey("dev")
            let revoked = try cluster.createKey("old")
            try cluster.lumenctl(["keys", "revoke", "old"])
            let port = cluster.publicPort

            let cases: [(String, String?, String, Int, String)] = [
                ("malformed JSON", key, #"{"model": "lumen/auto", "#, 400, "not valid JSON"),
                ("not an object", key, "[1, 2]", 400, "must be a JSON object"),
                ("missing model", key, #"{"messages": []}"#, 400, "model is required"),
                ("wrong type", key, #"{"model": "lumen/auto", "stream": "yes", "messages": []}"#, 400, "stream must be a boolean"),
                ("unknown model", key, #"{"model": "lumen/nope", "messages": []}"#, 404, "does not exist"),
                ("missing key", nil, chatBody, 401, "missing API key"),
                ("wrong key", "lmn_wrong", chatBody, 401, "invalid API key"),
                ("revoked key", revoked, chatBody, 401, "was revoked"),
                ("too large", key, #"{"model":"lumen/auto","messages":[{"role":"user","content":""# + String(repeating: "x", count: 70_000) + #""}]}"#, 413, "larger than 65536"),
            ]
            for (name, caseKey, body, status, message) in cases {
                let answer = try await send(chatRequest(port: port, key: caseKey, body: body))
                #expect(answer.status == status, "\(name): \(answer.body)")
                #expect(answer.body.contains(message), "\(name): \(answer.body)")
                #expect(answer.headers.first(name: "x-request-id") != nil, "\(name)")
            }
            var invalidUTF8 = chatRequest(port: port, key: key, body: "")
            invalidUTF8.body = .bytes(ByteBuffer(bytes: Array(#"{"model":"lumen/auto","x":""#.utf8) + [0xC3, 0x28] + Array(#""}"#.utf8)))
            let utf8Answer = try await send(invalidUTF8)
            #expect(utf8Answer.status == 400 && utf8Answer.body.contains("not valid UTF-8"))
            // A client that sends its headers one byte at a time does not hold up anyone else.
            let slow = try SlowClient(port: port)
            let slowTask = Task.detached { slow.dribble("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n", interval: 0.2) }
            let meanwhile = try await send(chatRequest(port: port, key: key, body: chatBody))
            #expect(meanwhile.status == 200)
            slow.close()
            _ = await slowTask.value

            // A client that goes away mid-stream: the upstream request is cancelled and the ledger says so.
            // The answer would take minutes (5,000 tokens, 30 ms apart), so an upstream stream that ends
            // soon after the client leaves was cancelled.
            let streamBody = #"{"model":"lumen/auto","stream":true,"max_tokens":5000,"ignore_eos":true,"messages":[{"role":"user","content":"long"}]}"#
            let firstChunk = Counter()
            let reader = Task {
                let response = try await testClient.execute(chatRequest(port: port, key: key, body: streamBody), timeout: .seconds(30))
                for try await _ in response.body { firstChunk.increment() }
            }
            while firstChunk.value == 0 { try await Task.sleep(for: .milliseconds(5)) }
            reader.cancel()
            _ = await reader.result
            let metrics = endpoint.replacingOccurrences(of: "/v1", with: "/metrics")
            var upstreamStreams = 1
            for _ in 0..<100 where upstreamStreams != 0 {
                try await Task.sleep(for: .milliseconds(100))
                upstreamStreams = try await metric("lumen_simulator_streams_open", at: metrics)
            }
            #expect(upstreamStreams == 0, "the upstream stream outlived its client")
            // Admin API: no token, and a stale revision.
            var noToken = HTTPClientRequest(url: "http://127.0.0.1:\(cluster.adminPort)/v1/status")
            noToken.method = .GET
            #expect(try await send(noToken).status == 401)
            var stale = HTTPClientRequest(url: "http://127.0.0.1:\(cluster.adminPort)/v1/snapshot")
            stale.method = .PUT
            stale.headers.add(name: "authorization", value: "Bearer \(cluster.token)")
            stale.body = .bytes(ByteBuffer(string: #"{"revision":1,"createdAt":"2026-01-01T00:00:00Z","manifests":[],"keys":[]}"#))
            let staleAnswer = try await send(stale)
            #expect(staleAnswer.status == 409 && staleAnswer.body.contains("stale_revision"))
            let healthy = try await send(chatRequest(port: port, key: key, body: chatBody))
            #expect(healthy.status == 200, "\(healthy.body)")

            // The ledger records what happened, rejected and cut-off requests included.
            var ledger: [UsageRecord] = []
            for _ in 0..<50 {
                try await Task.sleep(for: .milliseconds(100))
                var usage = HTTPClientRequest(url: "http://127.0.0.1:\(cluster.adminPort)/v1/usage")
                usage.headers.add(name: "authorization", value: "Bearer \(cluster.token)")
                ledger = try JSONDecoder().decode([UsageRecord].self, from: Data(try await send(usage).body.utf8))
                // Rows are written in batches: wait until the last ones are in.
                if ledger.contains(where: { $0.outcome == .clientClosed }) && ledger.filter({ $0.outcome == .completed }).count >= 2 { break }
            }
            #expect(ledger.filter { $0.outcome == .rejected }.count >= cases.count)
            #expect(ledger.contains { $0.outcome == .rejected && $0.status == 413 })
            let cut = ledger.first { $0.outcome == .clientClosed }
            #expect(cut != nil && cut?.model == "sim-a")
            #expect(ledger.filter { $0.outcome == .completed }.count >= 2)
        }
    }
}

final class Counter: Sendable {
    private let count = Mutex(0)
    func increment() { count.withLock { $0 += 1 } }
    var value: Int { count.withLock { $0 } }
}

/// A raw TCP client that sends a request a byte at a time.
final class SlowClient: @unchecked Sendable {
    private let socket: Int32
    private let closed = Mutex(false)

    init(port: Int) throws {
        socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else { throw POSIXError(.ECONNREFUSED) }
    }

    func dribble(_ text: String, interval: TimeInterval) {
        for byte in text.utf8 {
            if closed.withLock({ $0 }) { return }
            var value = byte
            _ = Glibc.send(socket, &value, 1, Int32(MSG_NOSIGNAL))
            Thread.sleep(forTimeInterval: interval)
        }
    }

    func close() {
        closed.withLock { $0 = true }
        Glibc.close(socket)
    }
}
