import Foundation
import Hummingbird
import HummingbirdTesting
import LumenAPI
import LumenEngine
import NIOCore
import Testing

/// The simulator over real HTTP: determinism, streaming shape, continuation, faults.
@Suite struct SimulatorTests {
    func withSimulator(_ configure: (inout SimulatorOptions) -> Void = { _ in },
                       _ body: @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        var options = SimulatorOptions()
        options.timeToFirstToken = .milliseconds(1)
        options.interTokenLatency = .zero
        configure(&options)
        try await SimulatorServer(options: options).application(host: "127.0.0.1", port: 0).test(.live, body)
    }

    static func post(_ client: any TestClientProtocol, _ path: String, _ body: String) async throws -> TestResponse {
        try await client.execute(uri: path, method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(string: body))
    }

    static func json(_ response: TestResponse) throws -> JSONValue {
        try JSONValue(json: String(buffer: response.body))
    }

    /// The `data:` payloads of an SSE body, in order.
    static func events(_ response: TestResponse) throws -> [String] {
        var parser = SSEParser()
        return try parser.feed(response.body)
    }

    static let hello = #"{"model":"sim","messages":[{"role":"user","content":"hello there"}]"#

    @Test func textIsAPureFunctionOfTheConversation() async throws {
        try await withSimulator { client in
            let first = try Self.json(try await Self.post(client, "/v1/chat/completions", Self.hello + "}"))
            let second = try Self.json(try await Self.post(client, "/v1/chat/completions", Self.hello + "}"))
            let other = try Self.json(try await Self.post(client, "/v1/chat/completions",
                                                          #"{"model":"sim","messages":[{"role":"user","content":"bye"}]}"#))
            let text = first["choices"]?.arrayValue?.first?["message"]?["content"]?.stringValue
            #expect(text != nil && text == second["choices"]?.arrayValue?.first?["message"]?["content"]?.stringValue)
            #expect(text != other["choices"]?.arrayValue?.first?["message"]?["content"]?.stringValue)
            #expect(first["id"] != second["id"])
            #expect(first["usage"]?["completion_tokens"]?.intValue == text.map { $0.split(separator: " ").count })
        }
    }

    @Test func streamHasOneRoleTheSameTextUsageAndDone() async throws {
        try await withSimulator { client in
            let whole = try Self.json(try await Self.post(client, "/v1/chat/completions", Self.hello + "}"))
            let response = try await Self.post(client, "/v1/chat/completions",
                                               Self.hello + #","stream":true,"stream_options":{"include_usage":true}}"#)
            #expect(response.headers[.contentType] == "text/event-stream")
            let events = try Self.events(response)
            #expect(events.last == "[DONE]")
            let chunks = try events.dropLast().map { try JSONValue(json: $0) }
            #expect(Set(chunks.compactMap { $0["id"] }).count == 1)
            let deltas = chunks.compactMap { $0["choices"]?.arrayValue?.first?["delta"] }
            #expect(deltas.filter { $0["role"] != nil }.count == 1)
            let text = deltas.compactMap { $0["content"]?.stringValue }.joined()
            #expect(text == whole["choices"]?.arrayValue?.first?["message"]?["content"]?.stringValue)
            let usage = try #require(chunks.last)
            #expect(usage["choices"]?.arrayValue?.isEmpty == true)
            #expect(usage["usage"]?["completion_tokens"] == whole["usage"]?["completion_tokens"])
        }
    }

    @Test func continuationFinishesThePartialAnswerExactly() async throws {
        try await withSimulator { client in
            let whole = try Self.json(try await Self.post(client, "/v1/chat/completions", Self.hello + "}"))
            let text = try #require(whole["choices"]?.arrayValue?.first?["message"]?["content"]?.stringValue)
            for cut in [0, 1, 5, text.count / 2, text.count - 1] {
                let partial = String(text.prefix(cut))
                let body = #"{"model":"sim","continue_final_message":true,"add_generation_prompt":false,"messages":[{"role":"user","content":"hello there"},{"role":"assistant","content":"# + JSONValue.jsonString(partial) + "}]}"
                let rest = try Self.json(try await Self.post(client, "/v1/chat/completions", body))
                #expect(partial + (rest["choices"]?.arrayValue?.first?["message"]?["content"]?.stringValue ?? "") == text, "cut at \(cut)")
            }
            let both = try await Self.post(client, "/v1/chat/completions",
                #"{"model":"sim","continue_final_message":true,"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"A"}]}"#)
            #expect(both.status == .badRequest)
        }
    }

    @Test func badRequestsGetOpenAIErrors() async throws {
        try await withSimulator { client in
            for (body, param) in [("{not json", nil), (#"{"model":"sim"}"#, "messages"), (#"{"messages":[]}"#, "model"),
                                  (#"{"model":"sim","messages":[{"role":"user","content":"x"}],"n":99}"#, "n")] as [(String, String?)] {
                let response = try await Self.post(client, "/v1/chat/completions", body)
                #expect(response.status == .badRequest, "\(body)")
                let error = try Self.json(response)["error"]
                #expect(error?["type"]?.stringValue == "invalid_request_error")
                #expect(error?["param"]?.stringValue == param)
            }
        }
    }

    @Test func failAfterEndsTheStreamWithoutDone() async throws {
        try await withSimulator({ $0.failAfter = 3 }) { client in
            let response = try? await Self.post(client, "/v1/chat/completions", Self.hello + #","stream":true}"#)
            let events = (try? response.map(Self.events)) ?? []
            #expect(!events.contains("[DONE]"))
            let contents = events.compactMap { try? JSONValue(json: $0) }
                .compactMap { $0["choices"]?.arrayValue?.first?["delta"]?["content"]?.stringValue }.filter { !$0.isEmpty }
            #expect(contents.count <= 3)
        }
    }

    @Test func scriptedStatusCarriesRetryAfter() async throws {
        try await withSimulator({ $0.status = 429 }) { client in
            let response = try await Self.post(client, "/v1/chat/completions", Self.hello + "}")
            #expect(response.status == .tooManyRequests)
            #expect(response.headers[.retryAfter] == "1")
            #expect(try Self.json(response)["error"]?["code"]?.stringValue == "simulated")
        }
    }

    @Test func loadTimeAnswers503UntilLoaded() async throws {
        // Long enough that the first requests land inside it; the test polls, it never times.
        try await withSimulator({ $0.loadTime = .seconds(1) }) { client in
            let health = try await client.execute(uri: "/health", method: .get)
            #expect(health.status == .serviceUnavailable)
            #expect(try Self.json(health)["status"]?.stringValue == "loading")
            for (path, body) in [("/v1/chat/completions", Self.hello + "}"), ("/v1/completions", #"{"model":"sim","prompt":"hi"}"#),
                                 ("/v1/embeddings", #"{"model":"sim","input":"a"}"#)] {
                let response = try await Self.post(client, path, body)
                #expect(response.status == .serviceUnavailable, "\(path)")
                #expect(response.headers[.retryAfter] == "1", "\(path)")
                #expect(try Self.json(response)["error"]?["message"]?.stringValue == "the model is still loading; retry after 1 s")
            }
            let deadline = ContinuousClock.now + .seconds(20)
            while try await client.execute(uri: "/health", method: .get).status != .ok, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(try await client.execute(uri: "/health", method: .get).status == .ok)
            #expect(try await Self.post(client, "/v1/chat/completions", Self.hello + "}").status == .ok)
            #expect(try await Self.post(client, "/v1/embeddings", #"{"model":"sim","input":"a"}"#).status == .ok)
        }
    }

    @Test func toolCallStreamsItsArgumentsInFragments() async throws {
        try await withSimulator { client in
            let tools = #""tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"},"days":{"type":"integer"}}}}}]"#
            let body = #"{"model":"sim","stream":true,"messages":[{"role":"user","content":"call get_weather please"}],"# + tools + "}"
            let chunks = try Self.events(try await Self.post(client, "/v1/chat/completions", body)).dropLast().map { try JSONValue(json: $0) }
            let calls = chunks.compactMap { $0["choices"]?.arrayValue?.first?["delta"]?["tool_calls"]?.arrayValue?.first }
            #expect(calls.filter { $0["id"] != nil }.count == 1)
            #expect(calls.first?["function"]?["name"]?.stringValue == "get_weather")
            let arguments = calls.compactMap { $0["function"]?["arguments"]?.stringValue }.joined()
            let parsed = try JSONValue(json: arguments)
            #expect(parsed["city"]?.stringValue != nil && parsed["days"]?.intValue != nil)
            #expect(calls.count > 2)
            #expect(chunks.last?["choices"]?.arrayValue?.first?["finish_reason"]?.stringValue == "tool_calls")
        }
    }

    @Test func continuationFinishesAPartialToolCall() async throws {
        try await withSimulator { client in
            let tools = #""tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"},"days":{"type":"integer"}}}}}]"#
            let user = #"{"role":"user","content":"call get_weather please"}"#
            let whole = try Self.json(try await Self.post(client, "/v1/chat/completions", #"{"model":"sim","messages":["# + user + "]," + tools + "}"))
            let call = try #require(whole["choices"]?.arrayValue?.first?["message"]?["tool_calls"]?.arrayValue?.first)
            let arguments = try #require(call["function"]?["arguments"]?.stringValue)
            for cut in [0, 3, arguments.count] {
                let partial = call.setting("function", .map([.init("name", .string("get_weather")), .init("arguments", .string(String(arguments.prefix(cut))))]))
                let assistant: JSONValue = .map([.init("role", .string("assistant")), .init("content", .null), .init("tool_calls", .list([partial]))])
                let body = #"{"model":"sim","continue_final_message":true,"add_generation_prompt":false,"messages":["# + user + ","
                    + assistant.json(pretty: false) + "]," + tools + "}"
                let rest = try Self.json(try await Self.post(client, "/v1/chat/completions", body))
                let more = rest["choices"]?.arrayValue?.first?["message"]?["tool_calls"]?.arrayValue?.first?["function"]?["arguments"]?.stringValue
                #expect(String(arguments.prefix(cut)) + (more ?? "") == arguments, "cut at \(cut)")
            }
            // A call this model would not make is not its to finish.
            let foreign = #"{"role":"assistant","content":null,"tool_calls":[{"id":"x","type":"function","function":{"name":"get_weather","arguments":"{\"town"}}]}"#
            let refused = try await Self.post(client, "/v1/chat/completions",
                #"{"model":"sim","continue_final_message":true,"add_generation_prompt":false,"messages":["# + user + "," + foreign + "]," + tools + "}")
            #expect(refused.status == .badRequest)
        }
    }

    @Test func embeddingsAsFloatsAndBase64Agree() async throws {
        try await withSimulator { client in
            let floats = try Self.json(try await Self.post(client, "/v1/embeddings", #"{"model":"sim","input":["a","b"]}"#))
            let packed = try Self.json(try await Self.post(client, "/v1/embeddings", #"{"model":"sim","input":["a","b"],"encoding_format":"base64"}"#))
            let vector = (floats["data"]?.arrayValue?.first?["embedding"]?.arrayValue ?? []).compactMap { $0.doubleValue }
            let base64 = try #require(packed["data"]?.arrayValue?.first?["embedding"]?.stringValue)
            let bytes = try #require(Data(base64Encoded: base64))
            let decoded = stride(from: 0, to: bytes.count, by: 4).map { offset in
                Float(bitPattern: bytes[offset..<offset + 4].enumerated().reduce(UInt32(0)) { $0 | UInt32($1.element) << (8 * $1.offset) })
            }
            #expect(decoded.count == vector.count && vector.count == 16)
            #expect(zip(decoded, vector).allSatisfy { abs(Double($0) - $1) < 1e-6 })
        }
    }

    @Test func severalChoices() async throws {
        try await withSimulator { client in
            let response = try Self.json(try await Self.post(client, "/v1/chat/completions", Self.hello + #","n":3}"#))
            let texts = response["choices"]?.arrayValue?.compactMap { $0["message"]?["content"]?.stringValue } ?? []
            #expect(texts.count == 3 && Set(texts).count == 3)
        }
    }
}
