import AsyncHTTPClient
import Foundation
import LumenAPI
import LumenTestSupport
import NIOCore
import NIOHTTP1
import Testing

/// A stream as its client saw it.
struct ClientStream {
    var status = 0
    /// The body when it was not a stream (an error answer).
    var answer = ""
    var text = ""
    var ids: Set<String> = []
    var roleHeaders = 0
    /// Choice 0's tool-call arguments, and how many deltas announced a call (carried its id).
    var toolArguments = ""
    var toolHeaders = 0
    var done = false
    var errors: [JSONValue] = []
    var lumen: JSONValue?
    var usage: JSONValue?
}

/// Sends `body` to `url` and reads the whole SSE answer.
func readStream(_ url: String, key: String?, body: String) async throws -> ClientStream {
    var request = HTTPClientRequest(url: url)
    request.method = .POST
    request.headers.add(name: "content-type", value: "application/json")
    if let key { request.headers.add(name: "authorization", value: "Bearer \(key)") }
    request.body = .bytes(ByteBuffer(string: body))
    let response = try await testClient.execute(request, timeout: .seconds(60))
    var parser = SSEParser()
    var stream = ClientStream(status: Int(response.status.code))
    guard response.status == .ok else {
        stream.answer = String(buffer: try await response.body.collect(upTo: 1 << 20))
        return stream
    }
    for try await chunk in response.body {
        for event in try parser.feed(chunk) {
            if event == SSE.done {
                stream.done = true
                continue
            }
            let value = try JSONValue(json: event)
            if let error = value["error"] {
                stream.errors.append(error)
                continue
            }
            if let id = value["id"]?.stringValue { stream.ids.insert(id) }
            if let lumen = value["lumen"] { stream.lumen = lumen }
            if let usage = value["usage"], !usage.isNull { stream.usage = usage }
            for choice in value["choices"]?.arrayValue ?? [] where choice["index"]?.intValue == 0 {
                if choice["delta"]?["role"] != nil { stream.roleHeaders += 1 }
                stream.text += choice["delta"]?["content"]?.stringValue ?? ""
                for call in choice["delta"]?["tool_calls"]?.arrayValue ?? [] {
                    if call["id"] != nil || call["function"]?["name"] != nil { stream.toolHeaders += 1 }
                    stream.toolArguments += call["function"]?["arguments"]?.stringValue ?? ""
                }
            }
        }
    }
    return stream
}

/// Raw body bytes of a stream, as the upstream wrote them.
func rawStream(_ url: String, body: String) async throws -> [UInt8] {
    var request = HTTPClientRequest(url: url)
    request.method = .POST
    request.headers.add(name: "content-type", value: "application/json")
    request.body = .bytes(ByteBuffer(string: body))
    let response = try await testClient.execute(request, timeout: .seconds(30))
    return Array(try await response.body.collect(upTo: 1 << 20).readableBytesView)
}

/// The faulty replica of a two-replica model. Each fault gets a new process on a new port: a new
/// upstream, so that the health its predecessor earned does not steer traffic away from it, and a
/// new snapshot naming it (which also restarts the replica rotation at the faulty one).
final class FaultyReplica {
    let cluster: LiveCluster
    let good: String
    private var process: ManagedProcess?
    private(set) var url = ""

    init(cluster: LiveCluster, good: String) {
        self.cluster = cluster
        self.good = good
    }

    func replace(with fault: [String]) throws {
        process?.stop()
        let next = ManagedProcess(builtExecutable("lumen-engine"), ["serve", "--simulate", "--port", "0", "--ttft", "1ms", "--itl", "0ms"] + fault)
        url = "http://127.0.0.1:\(try next.start(waitingFor: #"http://127\.0\.0\.1:(\d+)/v1"#)[0])/v1"
        process = next
        let applied = try cluster.apply(FailoverTests.manifests(cluster, url, good))
        #expect(applied.exitCode == 0, "\(applied)")
    }

    func stop() {
        process?.stop()
    }
}

@Suite(.serialized) struct FailoverTests {
    static func manifests(_ cluster: LiveCluster, _ faulty: String, _ good: String) -> String {
        """
        \(cluster.node)
        ---
        \(LiveCluster.model("steady", [faulty, good]))
        ---
        \(LiveCluster.model("rigid", [faulty, good], continuation: "none"))
        ---
        \(LiveCluster.model("tooled", [faulty, good], continuation: "native-tools"))
        ---
        apiVersion: lumen.ai/v1
        kind: Route
        metadata: {name: tools}
        spec: {candidates: [tooled], strategy: pinned, failover: {stallTimeout: 400ms}}
        ---
        apiVersion: lumen.ai/v1
        kind: Route
        metadata: {name: auto}
        spec: {candidates: [steady], strategy: pinned, failover: {stallTimeout: 400ms}}
        ---
        apiVersion: lumen.ai/v1
        kind: Route
        metadata: {name: rigid}
        spec: {candidates: [rigid], strategy: pinned}
        """
    }

    /// The invariant: whatever breaks the first replica's stream, and wherever, the client receives
    /// exactly the text it would have received without the fault, as one stream.
    @Test func aBrokenStreamContinuesOnTheOtherReplicaByteForByte() async throws {
        try await withTemporaryDirectoryAsync { dir in
            let cluster = LiveCluster(dir: dir)
            defer { cluster.stop() }
            let good = try cluster.startSimulator(["--ttft", "1ms", "--itl", "0ms"])
            // No probes: a probe that meets the faulty replica's fault would steer the next request
            // away from it, and each case needs one stream to start there.
            try cluster.startAgent(extra: ["--probe-interval", "0", "--replica-choice", "round-robin"])
            let faulty = FaultyReplica(cluster: cluster, good: good)
            defer { faulty.stop() }
            try faulty.replace(with: [])
            let key = try cluster.createKey("failover")

            // A prompt whose answer has multi-byte characters, so faults can land inside one.
            var prompt = "", expected = ClientStream()
            for index in 0..<100 {
                prompt = "tell me story \(index)"
                expected = try await readStream(good + "/chat/completions", key: nil, body: Self.body(prompt))
                if expected.text.unicodeScalars.contains(where: { !$0.isASCII }) { break }
            }
            let tokens = expected.text.split(separator: " ").count
            #expect(tokens >= 8 && expected.text.unicodeScalars.contains { !$0.isASCII }, "\(expected.text)")

            /// Two requests: replicas are taken in turn, so one starts on the faulty replica.
            func check(_ name: String) async throws {
                var failedOver = 0
                for _ in 0..<2 {
                    let stream = try await readStream("http://127.0.0.1:\(cluster.publicPort)/v1/chat/completions", key: key,
                                                      body: Self.body(prompt, model: "lumen/auto"))
                    #expect(stream.text == expected.text, "\(name): \(stream.text) != \(expected.text)")
                    #expect(stream.errors.isEmpty && stream.done && stream.ids.count == 1 && stream.roleHeaders == 1, "\(name): \(stream)")
                    #expect(stream.usage?["completion_tokens"]?.intValue ?? 0 >= tokens, "\(name): \(String(describing: stream.usage))")
                    if let lumen = stream.lumen {
                        failedOver += 1
                        #expect(lumen["failovers"]?.intValue == 1 && lumen["abandoned_upstreams"]?.arrayValue?.first?.stringValue == "endpoint/\(faulty.url)",
                                "\(name): \(lumen)")
                    }
                }
                #expect(failedOver == 1, "\(name): one of the two streams should have failed over")
            }

            for fault in ["reset", "error", "malformed", "invalid-json", "no-done"] {
                for k in Set([0, 1, 3, tokens - 1, tokens]).sorted() {
                    try faulty.replace(with: ["--fail-after", String(k), "--fault", fault])
                    try await check("\(fault) after \(k) tokens")
                }
            }
            for k in [1, tokens - 1] {
                try faulty.replace(with: ["--stall-after", String(k)])
                try await check("stall after \(k) tokens")
            }
            // Inside a tool call's streamed arguments, on upstreams that continue tool calls.
            let toolBody = Self.body("call get_weather", model: "tooled", extra: Self.weatherTool)
            let expectedCall = try await readStream(good + "/chat/completions", key: nil, body: toolBody)
            let pieces = (expectedCall.toolArguments.count + 7) / 8
            #expect(pieces >= 4 && expectedCall.toolHeaders == 1, "\(expectedCall)")
            var toolFaults: [(String, [String])] = []
            for fault in ["reset", "error", "malformed", "invalid-json", "no-done"] {
                for k in Set([0, 1, 2, pieces - 1, pieces]).sorted() {
                    toolFaults.append(("\(fault) after \(k) pieces", ["--fail-after", String(k), "--fault", fault]))
                }
            }
            toolFaults.append(("stall after 2 pieces", ["--stall-after", "2"]))
            for (name, fault) in toolFaults {
                try faulty.replace(with: fault)
                var failedOver = 0
                for _ in 0..<2 {
                    let stream = try await readStream("http://127.0.0.1:\(cluster.publicPort)/v1/chat/completions", key: key,
                                                      body: Self.body("call get_weather", model: "lumen/tools", extra: Self.weatherTool))
                    let label = "tool call, \(name)"
                    #expect(stream.toolArguments == expectedCall.toolArguments && stream.toolHeaders == 1, "\(label): \(stream)")
                    #expect(stream.errors.isEmpty && stream.done && stream.ids.count == 1 && stream.roleHeaders == 1, "\(label): \(stream)")
                    if stream.lumen != nil { failedOver += 1 }
                }
                #expect(failedOver == 1, "tool call, \(name): one of the two streams should have failed over")
            }
            // Resets at byte offsets: inside a multi-byte character, inside an event, on an event's end.
            try faulty.replace(with: [])
            let raw = try await rawStream(faulty.url + "/chat/completions", body: Self.body(prompt, model: "steady", usage: true))
            let boundaries = raw.indices.filter { $0 > 0 && raw[$0] == 0x0A && raw[$0 - 1] == 0x0A }
            let insideCharacter = try #require(raw.firstIndex { $0 >= 0xC0 }) + 1
            for offset in [insideCharacter, boundaries[2] + 40, boundaries[4] + 1] {
                try faulty.replace(with: ["--fail-after-bytes", String(offset)])
                try await check("reset after \(offset) bytes")
            }
            // Every case above failed over once; the agent's metrics count them.
            let failovers = try await metric("lumen_failovers_total", at: "http://127.0.0.1:\(cluster.adminPort)/metrics")
            #expect(failovers >= 20 + toolFaults.count, "\(failovers)")
        }
    }

    /// Where the answer cannot be continued, the stream ends with an explicit error event, never a
    /// clean-looking truncation; a fault before any content is simply retried.
    @Test func anAnswerThatCannotBeContinuedEndsWithAnErrorEvent() async throws {
        try await withTemporaryDirectoryAsync { dir in
            let cluster = LiveCluster(dir: dir)
            defer { cluster.stop() }
            let good = try cluster.startSimulator(["--ttft", "1ms", "--itl", "0ms"])
            // No probes: a probe that meets the faulty replica's fault would steer the next request
            // away from it, and each case needs one stream to start there.
            try cluster.startAgent(extra: ["--probe-interval", "0", "--replica-choice", "round-robin"])
            let faulty = FaultyReplica(cluster: cluster, good: good)
            defer { faulty.stop() }
            try faulty.replace(with: [])
            let key = try cluster.createKey("failover")
            let url = "http://127.0.0.1:\(cluster.publicPort)/v1/chat/completions"
            let cases: [(String, String, String)] = [
                ("continuation: none", Self.body("hello there", model: "lumen/rigid"), "continuation: none"),
                ("n > 1", Self.body("hello there", model: "lumen/auto", extra: #","n":2"#), "n > 1"),
                ("logprobs", Self.body("hello there", model: "lumen/auto", extra: #","logprobs":true"#), "logprobs"),
                ("mid tool call", Self.body("call get_weather", model: "lumen/auto", extra: Self.weatherTool), "tool call"),
            ]
            for (name, body, reason) in cases {
                try faulty.replace(with: ["--fail-after", "2"])
                var failed = 0
                for _ in 0..<2 {
                    let stream = try await readStream(url, key: key, body: body)
                    if let error = stream.errors.first {
                        failed += 1
                        #expect(error["code"]?.stringValue == "upstream_stream_error" && error["should_retry"]?.boolValue == false, "\(name): \(error)")
                        #expect(error["message"]?.stringValue?.contains(reason) == true, "\(name): \(error)")
                        #expect(!stream.done, "\(name): an error event is not followed by [DONE]")
                    } else {
                        #expect(stream.done, "\(name): \(stream)")
                    }
                }
                #expect(failed == 1, "\(name): the stream that started on the faulty replica ends with an error event")
            }
            #expect(try await metric("lumen_streams_unrecoverable_total", at: "http://127.0.0.1:\(cluster.adminPort)/metrics") == cases.count)
        }
    }

    /// A replica slow to its first token is hedged: a second request goes to the other replica
    /// after hedgeAfter, its answer wins, the slow one is cancelled, and the client is billed once.
    @Test func aSlowFirstTokenIsHedgedOnAnotherReplica() async throws {
        try await withTemporaryDirectoryAsync { dir in
            let cluster = LiveCluster(dir: dir)
            defer { cluster.stop() }
            let slow = try cluster.startSimulator(["--ttft", "3s", "--itl", "0ms"])
            let fast = try cluster.startSimulator(["--ttft", "1ms", "--itl", "0ms"])
            try cluster.startAgent(extra: ["--probe-interval", "0", "--replica-choice", "round-robin"])
            let applied = try cluster.apply("""
                \(cluster.node)
                ---
                \(LiveCluster.model("pair", [slow, fast]))
                ---
                apiVersion: lumen.ai/v1
                kind: Route
                metadata: {name: auto}
                spec: {candidates: [pair], strategy: pinned, failover: {hedgeAfter: 100ms}}
                """)
            #expect(applied.exitCode == 0, "\(applied)")
            let key = try cluster.createKey("hedge")
            let expected = try await readStream(fast + "/chat/completions", key: nil, body: Self.body("hedge me"))
            // Replicas are taken in turn: the first request starts on the slow one, the second on the fast one.
            let hedged = try await readStream("http://127.0.0.1:\(cluster.publicPort)/v1/chat/completions", key: key,
                                              body: Self.body("hedge me", model: "lumen/auto"))
            #expect(hedged.text == expected.text && hedged.done && hedged.errors.isEmpty && hedged.roleHeaders == 1, "\(hedged)")
            #expect(hedged.lumen?["hedged"]?.boolValue == true, "\(String(describing: hedged.lumen))")
            #expect(hedged.usage?["completion_tokens"]?.intValue == expected.usage?["completion_tokens"]?.intValue, "billed once")
            let direct = try await readStream("http://127.0.0.1:\(cluster.publicPort)/v1/chat/completions", key: key,
                                              body: Self.body("hedge me", model: "lumen/auto"))
            #expect(direct.text == expected.text && direct.lumen == nil, "\(direct)")
            // The slow replica's request was cancelled: once its first token was due (3 s), its writes
            // failed within a token or two instead of the whole answer being read.
            let metrics = slow.replacingOccurrences(of: "/v1", with: "/metrics")
            var open = 1
            for _ in 0..<100 where open != 0 {
                try await Task.sleep(for: .milliseconds(100))
                open = try await metric("lumen_simulator_streams_open", at: metrics)
            }
            let slowTokens = try await metric("lumen_simulator_tokens_sent_total", at: metrics)
            #expect(open == 0 && slowTokens <= 2, "the slow replica sent \(slowTokens) tokens")
            #expect(try await metric("lumen_hedge_wins_total", at: "http://127.0.0.1:\(cluster.adminPort)/metrics") == 1)
        }
    }

    /// A tool whose call has a few arguments, so that a fault can land inside them.
    static let weatherTool = #","tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":"#
        + #"{"city":{"type":"string"},"unit":{"type":"string"},"days":{"type":"integer"},"hourly":{"type":"boolean"}}}}}],"tool_choice":"required""#

    static func body(_ prompt: String, model: String = "sim", usage: Bool = true, extra: String = "") -> String {
        #"{"model":"\#(model)","stream":true,"stream_options":{"include_usage":\#(usage)},"messages":[{"role":"user","content":"\#(prompt)"}]\#(extra)}"#
    }
}
