import AsyncHTTPClient
import Foundation
import LumenAPI
import LumenStore
import LumenTestSupport
import NIOCore
import NIOHTTP1
import Testing

/// Bodies that once crashed a process or slipped through: each gets a clear 4xx in OpenAI's shape
/// from the agent, its upstream simulator and lumen-engine, and all three keep serving.
@Suite(.serialized) struct HostileInputTests {
    static let hostileBodies: [(name: String, body: String, expected: String)] = [
        ("lone high surrogate", #"{"model":"lumen/auto","messages":[{"role":"user","content":"\ud800\u0041"}]}"#, "surrogate"),
        ("lone low surrogate", #"{"model":"lumen/auto","messages":[{"role":"user","content":"\udc00"}]}"#, "surrogate"),
        ("surrogate in a key", #"{"model":"lumen/auto","\ud800":1,"messages":[]}"#, "surrogate"),
        ("40,000 nested arrays", #"{"model":"lumen/auto","x":"# + String(repeating: "[", count: 40_000) + String(repeating: "]", count: 40_000) + "}",
         "nested deeper than 128"),
        ("invalid escape", #"{"model":"lumen/auto","messages":[{"role":"user","content":"h\qi"}]}"#, "invalid escape"),
        ("invalid number", #"{"model":"lumen/auto","max_tokens":--1e,"messages":[]}"#, "not valid JSON"),
        ("leading zero", #"{"model":"lumen/auto","max_tokens":012,"messages":[]}"#, "leading zero"),
        ("control character", "{\"model\":\"lumen/auto\",\"messages\":[{\"role\":\"user\",\"content\":\"a\u{01}b\"}]}", "control character"),
        ("duplicate key", #"{"model":"lumen/auto","n":1,"messages":[],"n":128}"#, "duplicate key"),
        ("trailing data", #"{"model":"lumen/auto","messages":[]} {}"#, "after the JSON value"),
        ("unterminated string", #"{"model":"lumen/auto","messages":[{"role":"user","content":"abc"#, "does not end"),
    ]

    static func expectClear(_ answer: (status: Int, headers: HTTPHeaders, body: String), _ name: String, expected: String) {
        #expect(answer.status == 400, "\(name): \(answer.status) \(answer.body.prefix(300))")
        #expect(answer.body.contains(expected), "\(name): \(answer.body.prefix(300))")
        let error = (try? JSONValue(json: answer.body))?["error"]
        #expect(error?["type"]?.stringValue == "invalid_request_error" && error?["message"]?.stringValue != nil, "\(name): \(answer.body.prefix(300))")
    }

    @Test func hostileBodiesGetClearErrorsFromTheAgentAndItsWorkers() async throws {
        try await withTemporaryDirectoryAsync { dir in
            let cluster = LiveCluster(dir: dir)
            defer { cluster.stop() }
            let simulator = try cluster.startSimulator(["--ttft", "1ms", "--itl", "0ms"])
            try cluster.startAgent(extra: ["--probe-interval", "0"])
            #expect(try cluster.apply(cluster.manifests(endpoint: simulator)).exitCode == 0)
            let key = try cluster.createKey("hostile")
            let engine = ManagedProcess(builtExecutable("lumen-engine"), ["serve", "--model", "tiny:llama", "--port", "0"])
            let enginePort = try engine.start(waitingFor: #"on http://127\.0\.0\.1:(\d+)/v1"#)[0]
            defer { engine.stop() }
            let simulatorPort = simulator.split(separator: ":").last.flatMap { Int($0.prefix { $0.isNumber }) } ?? 0

            for (name, body, expected) in Self.hostileBodies {
                Self.expectClear(try await send(chatRequest(port: cluster.publicPort, key: key, body: body)), "agent, \(name)", expected: expected)
                let upstreamBody = body.replacingOccurrences(of: "lumen/auto", with: "sim")
                Self.expectClear(try await send(chatRequest(port: simulatorPort, key: nil, body: upstreamBody)), "simulator, \(name)", expected: expected)
                let engineBody = body.replacingOccurrences(of: "lumen/auto", with: "tiny")
                Self.expectClear(try await send(chatRequest(port: Int(enginePort) ?? 0, key: nil, body: engineBody)), "engine, \(name)", expected: expected)
            }
            // 4 MiB of numbers is refused, not parsed into a hundred megabytes.
            let numbers = #"{"model":"lumen/auto","x":["# + Array(repeating: "1", count: 1_000_100).joined(separator: ",") + "]}"
            let huge = try await send(chatRequest(port: cluster.publicPort, key: key, body: numbers))
            #expect(huge.status == 400 && huge.body.contains("values in one document"), "\(huge.status) \(huge.body.prefix(300))")

            // All three still serve.
            let agentAnswer = try await send(chatRequest(port: cluster.publicPort, key: key, body: chatBody))
            #expect(agentAnswer.status == 200, "\(agentAnswer.body)")
            let engineAnswer = try await send(chatRequest(port: Int(enginePort) ?? 0, key: nil,
                                                          body: #"{"model":"tiny","max_tokens":2,"messages":[{"role":"user","content":"hi"}]}"#))
            #expect(engineAnswer.status == 200, "\(engineAnswer.body)")
            #expect(cluster.agent?.isRunning == true && engine.isRunning)
        }
    }
}
