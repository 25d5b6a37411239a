import ArgumentParser
import AsyncHTTPClient
import Foundation
import LumenAPI
import LumenManifest
import LumenStore
import NIOCore
import NIOHTTP1

struct Chat: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Send one prompt through Lumen and stream the answer, with its TTFT, tokens and cost.",
        discussion: "The endpoint defaults to the first Node's address in the store; the key comes from --key or LUMEN_API_KEY."
    )

    @Option(name: .shortAndLong, help: "A route (lumen/NAME) or a model name.")
    var model = "lumen/auto"
    @Argument(help: "The prompt.")
    var prompt: String
    @Option(help: "A system message to send first.")
    var system: String?
    @Option(help: "Largest number of tokens to generate.")
    var maxTokens: Int?
    @Option(help: ArgumentHelp("The agent's OpenAI-compatible base URL.", valueName: "url"))
    var endpoint: String?
    @Option(help: ArgumentHelp("The API key (default: $LUMEN_API_KEY).", valueName: "key"))
    var key: String?
    @OptionGroup var home: HomeOptions

    func run() throws {
        let console = Console.current
        guard let key = key ?? console.environment["LUMEN_API_KEY"], !key.isEmpty else {
            throw ValidationError("Give an API key with --key or LUMEN_API_KEY (create one with lumenctl keys create NAME).")
        }
        let store = try home.existingStore()
        let objects = try store?.objects() ?? []
        let baseURL = try endpoint ?? objects.lazy.compactMap { object -> String? in
            guard case .node(let node) = try? object.manifest().spec else { return nil }
            return node.address + "/v1"
        }.first ?? "http://127.0.0.1:8080/v1"

        var messages: [JSONValue] = []
        if let system { messages.append(.map([.init("role", .string("system")), .init("content", .string(system))])) }
        messages.append(.map([.init("role", .string("user")), .init("content", .string(prompt))]))
        var body: JSONValue = .map([
            .init("model", .string(model)), .init("stream", .bool(true)),
            .init("stream_options", .map([.init("include_usage", .bool(true))])), .init("messages", .list(messages)),
        ])
        if let maxTokens { body = body.setting("max_completion_tokens", .number(String(maxTokens))) }
        var request = HTTPClientRequest(url: (baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL) + "/chat/completions")
        request.method = .POST
        request.headers.add(name: "authorization", value: "Bearer \(key)")
        request.headers.add(name: "content-type", value: "application/json")
        request.body = .bytes(ByteBuffer(string: body.json(pretty: false)))

        let prepared = request
        let outcome = try blocking { try await Self.stream(prepared, console: console) }
        console.write("\n")
        var stats = ["TTFT \(outcome.ttft.map { String(format: "%.0f ms", $0) } ?? "-")"]
        if let usage = outcome.usage {
            stats.append("\(usage.prompt) in / \(usage.completion) out")
            if let seconds = outcome.generationSeconds, seconds > 0, usage.completion > 1 {
                stats.append(String(format: "%.0f tok/s", Double(usage.completion - 1) / seconds))
            }
            if let served = outcome.model, let object = objects.first(where: { $0.id == ManifestID(.model, served) }),
               case .model(let spec) = try object.manifest().spec {
                let cost = spec.pricing.cost(prompt: usage.prompt, completion: usage.completion, cached: 0)
                stats.append("$\(cost)")
            }
        }
        if let served = outcome.model { stats.append("model \(served)" + (outcome.route.map { " via route \($0)" } ?? "")) }
        console.writeError(console.styled(stats.joined(separator: " · "), .dim) + "\n")
        if let error = outcome.error { throw CommandFailure(error) }
    }

    struct Outcome: Sendable {
        var ttft: Double?
        var generationSeconds: Double?
        var usage: (prompt: Int, completion: Int)?
        var model: String?
        var route: String?
        var error: String?
    }

    static func stream(_ request: HTTPClientRequest, console: Console) async throws -> Outcome {
        let started = ContinuousClock.now
        var outcome = Outcome()
        let response: HTTPClientResponse
        do {
            response = try await HTTPClient.shared.execute(request, timeout: .seconds(120))
        } catch {
            throw CommandFailure("cannot reach \(request.url): \(error); start an agent (lumenctl up) or pass --endpoint")
        }
        outcome.model = response.headers.first(name: "x-lumen-model")
        outcome.route = response.headers.first(name: "x-lumen-route")
        guard response.status.code == 200 else {
            let text = String(buffer: try await response.body.collect(upTo: 1 << 20))
            let message = (try? JSONValue(json: text))?["error"]?["message"]?.stringValue ?? text
            throw CommandFailure("HTTP \(response.status.code): \(message)")
        }
        var parser = SSEParser()
        var firstToken: ContinuousClock.Instant?
        for try await chunk in response.body {
            for event in try parser.feed(chunk) where event != SSE.done {
                guard let value = try? JSONValue(json: event) else { continue }
                if let message = value["error"]?["message"]?.stringValue { outcome.error = message; continue }
                if let text = value["choices"]?.arrayValue?.first?["delta"]?["content"]?.stringValue, !text.isEmpty {
                    if firstToken == nil {
                        firstToken = ContinuousClock.now
                        let elapsed = ContinuousClock.now - started
                        outcome.ttft = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
                    }
                    console.write(text)
                }
                if let usage = value["usage"], !usage.isNull {
                    outcome.usage = (usage["prompt_tokens"]?.intValue ?? 0, usage["completion_tokens"]?.intValue ?? 0)
                }
            }
        }
        if let firstToken {
            let elapsed = ContinuousClock.now - firstToken
            outcome.generationSeconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        }
        return outcome
    }
}
