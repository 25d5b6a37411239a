import Foundation
import Hummingbird
import HummingbirdTesting
import LumenAPI
import Logging
import LumenTestSupport
import NIOCore
import Synchronization
import Testing
@testable import LumenEngine

@Suite struct EngineServerTests {
    func withEngine(_ body: @escaping @Sendable (any TestClientProtocol, EngineServer) async throws -> Void) async throws {
        let dir = NSTemporaryDirectory() + "lumen-engine-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try TinyModel().writer().write(to: dir + "/tiny.gguf")
        let server = try EngineServer(file: try GGUFFile(path: dir + "/tiny.gguf"), modelName: "tiny")
        defer { server.engine.stop() }
        try await server.application(host: "127.0.0.1", port: 0, logger: Logger(label: "test"), onRunning: { _ in }).test(.live) { client in
            try await body(client, server)
        }
    }

    static func chat(_ content: String, _ extra: String = "") -> String {
        #"{"model":"tiny","temperature":0,"max_tokens":12,"messages":[{"role":"user","content":"\#(content)"}]\#(extra)}"#
    }

    @Test func greedyAnswersAreTheModelsAndStreamTheSameText() async throws {
        try await withEngine { client, server in
            let exact = #","ignore_eos":true"#
            let whole = try SimulatorTests.json(try await SimulatorTests.post(client, "/v1/chat/completions", Self.chat("hello the model", exact)))
            let text = whole["choices"]?.arrayValue?.first?["message"]?["content"]?.stringValue ?? ""
            #expect(whole["usage"]?["completion_tokens"]?.intValue == 12 && whole["choices"]?.arrayValue?.first?["finish_reason"]?.stringValue == "length")
            // The same tokens the model picks greedily, after the Mistral-format prompt.
            let prompt = [1] + server.encodeWithSpecialTokens("[INST] hello the model [/INST]")
            #expect(whole["usage"]?["prompt_tokens"]?.intValue == prompt.count)
            #expect(text == server.tokenizer.decode(try server.model.greedy(prompt, maxTokens: 12)))

            let streamed = try await SimulatorTests.post(client, "/v1/chat/completions",
                                                         Self.chat("hello the model", exact + #","stream":true,"stream_options":{"include_usage":true}"#))
            let events = try SimulatorTests.events(streamed).filter { $0 != SSE.done }.map { try JSONValue(json: $0) }
            let pieces = events.compactMap { $0["choices"]?.arrayValue?.first?["delta"]?["content"]?.stringValue }.joined()
            #expect(pieces == text)
            #expect(events.last?["usage"]?["completion_tokens"]?.intValue == 12)
            // Without ignore_eos the answer ends at the end-of-sequence token, as greedy decoding does.
            let ended = try SimulatorTests.json(try await SimulatorTests.post(client, "/v1/chat/completions", Self.chat("hello the model")))
            let tokens = try server.model.greedy(prompt, maxTokens: 12, stop: [2])
            #expect(ended["choices"]?.arrayValue?.first?["message"]?["content"]?.stringValue
                == server.tokenizer.decode(tokens.filter { $0 != 2 }))
            #expect(ended["choices"]?.arrayValue?.first?["finish_reason"]?.stringValue == (tokens.last == 2 ? "stop" : "length"))
        }
    }

    @Test func stopStringsSeedsAndLimitsHold() async throws {
        try await withEngine { client, _ in
            let whole = try SimulatorTests.json(try await SimulatorTests.post(client, "/v1/chat/completions", Self.chat("hello", #","ignore_eos":true"#)))
            let text = whole["choices"]?.arrayValue?.first?["message"]?["content"]?.stringValue ?? ""
            let stop = String(text.dropFirst(3).prefix(2))
            let stopped = try SimulatorTests.json(try await SimulatorTests.post(client, "/v1/chat/completions",
                                                                                 Self.chat("hello", #","ignore_eos":true,"stop":"\#(stop)""#)))
            let cut = stopped["choices"]?.arrayValue?.first?["message"]?["content"]?.stringValue ?? ""
            #expect(!cut.contains(stop) && text.hasPrefix(cut) && stopped["choices"]?.arrayValue?.first?["finish_reason"]?.stringValue == "stop")
            // Sampling with a seed repeats itself.
            let seeded = #"{"model":"tiny","temperature":0.9,"seed":7,"max_tokens":10,"prompt":"the world"}"#
            let a = try SimulatorTests.json(try await SimulatorTests.post(client, "/v1/completions", seeded))
            let b = try SimulatorTests.json(try await SimulatorTests.post(client, "/v1/completions", seeded))
            #expect(a["choices"]?.arrayValue?.first?["text"] == b["choices"]?.arrayValue?.first?["text"])
            let long = String(repeating: "the world ", count: 400)
            let refused = try await SimulatorTests.post(client, "/v1/chat/completions", Self.chat(long))
            #expect(refused.status == .badRequest && String(buffer: refused.body).contains("context_length_exceeded"))
            let bad = try await SimulatorTests.post(client, "/v1/chat/completions", #"{"model":"tiny","messages":[]}"#)
            #expect(bad.status == .badRequest)
            // The server still answers after the refusals.
            #expect(try await SimulatorTests.post(client, "/v1/chat/completions", Self.chat("hello")).status == .ok)
        }
    }

    @Test func metricsCountWhatWasDoneAndHealthWatchesProgress() async throws {
        try await withEngine { client, _ in
            #expect(try await client.execute(uri: "/health", method: .get).status == .ok)
            _ = try await SimulatorTests.post(client, "/v1/chat/completions", Self.chat("hello", #","ignore_eos":true"#))
            let page = String(buffer: try await client.execute(uri: "/metrics", method: .get).body)
            #expect(page.contains("lumen_engine_requests_total 1\n") && page.contains("lumen_engine_generated_tokens_total 12\n"), "\(page)")
            #expect(page.contains("lumen_engine_requests_running 0\n") && page.contains("lumen_engine_requests_waiting 0\n"))
            // The prompt's whole blocks stay in the prefix cache.
            #expect(page.contains("lumen_engine_kv_cache_tokens 16\n") && page.contains("lumen_engine_prefix_cache_hit_tokens_total 0\n"), "\(page)")
        }
        let stats = EngineStats()
        #expect(stats.stalledSeconds == nil)
        stats.running.add(1, ordering: .relaxed)
        #expect((stats.stalledSeconds ?? -1) >= 0)
    }

    @Test func chatTemplatesRenderTheirFamilies() {
        let messages = [(role: "system", content: "Be brief."), (role: "user", content: "Hi"), (role: "assistant", content: "Hel")]
        #expect(ChatTemplate.mistral.render(messages, continueFinal: true, endOfSequence: "</s>") == "[INST] Be brief.\n\nHi [/INST]Hel")
        #expect(ChatTemplate.chatml.render(Array(messages.prefix(2)), continueFinal: false, endOfSequence: "")
            == "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n")
        #expect(ChatTemplate.llama3.render(messages, continueFinal: true, endOfSequence: "")
            == "<|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>"
            + "<|start_header_id|>assistant<|end_header_id|>\n\nHel")
        #expect(ChatTemplate.detect("{% for m in messages %}<|im_start|>{{ m.role }}") == .chatml)
        #expect(ChatTemplate.detect("{{ messages }}") == nil)
    }
}
