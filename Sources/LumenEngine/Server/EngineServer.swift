import Foundation
public import Hummingbird
import LumenAPI
public import Logging
import NIOCore
import Synchronization

/// lumen-engine's OpenAI-compatible server for a GGUF model: chat and completions, whole or as
/// SSE, with greedy or seeded sampling, stop strings and `continue_final_message`. This first
/// version generates one sequence at a time on the reference forward pass; requests wait in a
/// bounded queue.
public struct EngineServer: Sendable {
    public let model: LlamaModel
    public let tokenizer: any TextTokenizer
    public let template: ChatTemplate
    public let modelName: String
    let bos: Int?
    let eos: Int
    private let gate = ConcurrencyGate(limit: 1, maxWaiting: 64)
    private let counter = RequestCounter()
    let stats = EngineStats()
    /// A sequence without a new token this long makes `/health` fail: generation is wedged.
    public var wedgeTimeout: Double = 60

    public init(file: GGUFFile, modelName: String, template override: ChatTemplate? = nil) throws {
        model = try LlamaModel(file: file)
        tokenizer = try loadTokenizer(gguf: file)
        let declared = file["tokenizer.chat_template"]?.stringValue
        guard let template = override ?? declared.flatMap(ChatTemplate.detect) else {
            throw GGUFError("\(file.path) has " + (declared == nil ? "no chat template" : "a chat template lumen-engine does not recognise")
                            + "; name one with --chat-template " + ChatTemplate.allCases.map(\.rawValue).joined(separator: "|"))
        }
        self.template = template
        self.modelName = modelName
        bos = (file["tokenizer.ggml.add_bos_token"]?.boolValue ?? true) ? file["tokenizer.ggml.bos_token_id"]?.intValue ?? 1 : nil
        eos = file["tokenizer.ggml.eos_token_id"]?.intValue ?? 2
    }

    public func application(host: String, port: Int, logger: Logger, onRunning: @escaping @Sendable (Int) async -> Void) -> some ApplicationProtocol {
        let router = Router()
        router.get("/health") { _, _ in
            if let stalled = stats.stalledSeconds, stalled > wedgeTimeout {
                return HTTPAnswer.json(.map([.init("status", .string("wedged")),
                                             .init("detail", .string("no token for \(Int(stalled)) s; restart lumen-engine"))]),
                                       status: .serviceUnavailable)
            }
            return HTTPAnswer.json(.map([.init("status", .string("ok"))]))
        }
        router.get("/metrics") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                     body: ResponseBody(byteBuffer: ByteBuffer(string: stats.prometheusText(context: model.configuration.context))))
        }
        router.get("/v1/models") { _, _ in
            HTTPAnswer.json(.map([.init("object", .string("list")), .init("data", .list([.map([
                .init("id", .string(modelName)), .init("object", .string("model")), .init("created", .number("0")),
                .init("owned_by", .string("lumen-engine")),
            ])]))]))
        }
        router.post("/v1/chat/completions") { request, _ in await generate(request, chat: true) }
        router.post("/v1/completions") { request, _ in await generate(request, chat: false) }
        return Application(router: router, server: .streamingHTTP1(),
                           configuration: .init(address: .hostname(host, port: port), serverName: "lumen-engine"),
                           onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? port) }, logger: logger)
    }

    /// One request, validated.
    struct Job {
        var prompt: [Int]
        var maxTokens: Int
        var temperature: Float
        var topP: Float
        var seed: UInt64
        var stops: [String]
        var stream: Bool
        var includeUsage: Bool
        /// vLLM's extension: generate exactly max_tokens, past the end-of-sequence token.
        var ignoreEOS = false
    }

    func job(_ body: JSONValue, chat: Bool) throws(OpenAIError) -> Job {
        var text: String
        if chat {
            guard let messages = body["messages"]?.arrayValue, !messages.isEmpty else {
                throw .invalidRequest("messages is required: a non-empty array of messages", param: "messages")
            }
            let pairs = messages.map { (role: $0["role"]?.stringValue ?? "user", content: ($0["content"] ?? .null).messageText) }
            let continueFinal = body["continue_final_message"]?.boolValue ?? false
            text = template.render(pairs, continueFinal: continueFinal, endOfSequence: tokenizer.controlTokens.first { $0.id == eos }?.text ?? "")
        } else {
            guard let prompt = body["prompt"]?.stringValue else { throw .invalidRequest("prompt is required and must be a string", param: "prompt") }
            text = prompt
        }
        let prompt = (bos.map { [$0] } ?? []) + encodeWithSpecialTokens(text)
        let context = model.configuration.context
        guard prompt.count < context else {
            throw .invalidRequest("the prompt has \(prompt.count) tokens; the model's context is \(context); shorten it", param: chat ? "messages" : "prompt",
                                  code: "context_length_exceeded")
        }
        var asked = try Self.int(body, "max_completion_tokens")
        if asked == nil { asked = try Self.int(body, "max_tokens") }
        let stops: [String]
        switch body["stop"] {
        case .string(let stop)?: stops = [stop]
        case .list(let list)?: stops = list.compactMap(\.stringValue).filter { !$0.isEmpty }
        default: stops = []
        }
        return Job(prompt: prompt, maxTokens: min(asked ?? 256, context - prompt.count),
                   temperature: Float(body["temperature"]?.doubleValue ?? 1), topP: Float(body["top_p"]?.doubleValue ?? 1),
                   seed: UInt64(truncatingIfNeeded: body["seed"]?.intValue ?? Int.random(in: 0 ... .max)), stops: stops,
                   stream: body["stream"]?.boolValue ?? false, includeUsage: body["stream_options"]?["include_usage"]?.boolValue ?? false,
                   ignoreEOS: body["ignore_eos"]?.boolValue ?? false)
    }

    static func int(_ body: JSONValue, _ key: String) throws(OpenAIError) -> Int? {
        guard let value = body[key], !value.isNull else { return nil }
        guard let number = value.intValue, number >= 1 else { throw .invalidRequest("\(key) must be a positive integer", param: key) }
        return number
    }

    /// Text to tokens, with the vocabulary's control tokens (`</s>`, `<|im_end|>`) read as themselves.
    func encodeWithSpecialTokens(_ text: String) -> [Int] {
        let specials = tokenizer.controlTokens
        var tokens: [Int] = []
        var rest = Substring(text)
        var first = true
        while !rest.isEmpty {
            let found = specials.compactMap { special in rest.range(of: special.text).map { (special.id, $0) } }.min { $0.1.lowerBound < $1.1.lowerBound }
            let plain = found.map { rest[..<$0.1.lowerBound] } ?? rest
            if !plain.isEmpty { tokens += tokenizer.encode(String(plain), atStart: first) }
            first = false
            guard let (id, range) = found else { break }
            tokens.append(id)
            rest = rest[range.upperBound...]
        }
        return tokens
    }

    /// The next token: the most likely at temperature 0, else drawn from the top-p share of the
    /// softened distribution.
    static func sample(_ logits: [Float], temperature: Float, topP: Float, random: inout SplitMix64) -> Int {
        guard temperature > 0 else { return LlamaModel.argmax(logits) }
        let largest = logits.max() ?? 0
        var weights = logits.map { exp(($0 - largest) / temperature) }
        let total = weights.reduce(0, +)
        for index in weights.indices { weights[index] /= total }
        let order = weights.indices.sorted { weights[$0] > weights[$1] }
        var kept: [Int] = []
        var mass: Float = 0
        for index in order {
            kept.append(index)
            mass += weights[index]
            if mass >= topP { break }
        }
        var draw = random.nextFloat(in: 0...1) * mass
        for index in kept {
            draw -= weights[index]
            if draw <= 0 { return index }
        }
        return kept.last ?? 0
    }

    /// Runs `job`, passing each new piece of text to `emit`; returns the finish reason and the token count.
    func run(_ job: Job, emit: (String) async throws -> Void) async throws -> (finish: String, tokens: Int) {
        stats.requests.add(1, ordering: .relaxed)
        stats.running.add(1, ordering: .relaxed)
        stats.progressed()
        defer {
            stats.running.subtract(1, ordering: .relaxed)
            stats.cacheTokens.store(0, ordering: .relaxed)
        }
        return try await generate(job, emit: emit)
    }

    private func generate(_ job: Job, emit: (String) async throws -> Void) async throws -> (finish: String, tokens: Int) {
        var cache = LlamaModel.Cache(model: model)
        var logits: [Float] = []
        for token in job.prompt { logits = try model.step(token, cache: &cache) }
        stats.promptTokens.add(job.prompt.count, ordering: .relaxed)
        var random = SplitMix64(seed: job.seed)
        var generated: [Int] = []
        var sent = ""
        let holdBack = max(0, (job.stops.map(\.count).max() ?? 0) - 1)
        while generated.count < job.maxTokens {
            let next = Self.sample(logits, temperature: job.temperature, topP: job.topP, random: &random)
            if next == eos && !job.ignoreEOS { break }
            generated.append(next)
            stats.generatedTokens.add(1, ordering: .relaxed)
            stats.cacheTokens.store(cache.count, ordering: .relaxed)
            stats.progressed()
            let text = tokenizer.decode(generated)
            if let stop = job.stops.compactMap({ text.range(of: $0) }).min(by: { $0.lowerBound < $1.lowerBound }) {
                let kept = String(text[..<stop.lowerBound])
                if kept.count > sent.count { try await emit(String(kept.dropFirst(sent.count))) }
                return ("stop", generated.count)
            }
            // Hold back an unfinished UTF-8 character, and what could still become a stop string.
            if !text.hasSuffix("\u{FFFD}") && text.count - holdBack > sent.count {
                let ready = String(text.prefix(text.count - holdBack))
                try await emit(String(ready.dropFirst(sent.count)))
                sent = ready
            }
            if generated.count < job.maxTokens { logits = try model.step(next, cache: &cache) }
        }
        let text = tokenizer.decode(generated)
        if text.count > sent.count { try await emit(String(text.dropFirst(sent.count))) }
        return (generated.count < job.maxTokens ? "stop" : "length", generated.count)
    }

    private func generate(_ request: Request, chat: Bool) async -> Response {
        var request = request
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: 16 << 20)
        } catch {
            return HTTPAnswer.error(.tooLarge(limit: 16 << 20))
        }
        let job: Job
        do {
            job = try self.job(try JSONValue.requestBody(buffer), chat: chat)
        } catch {
            return HTTPAnswer.error(error)
        }
        let id = (chat ? "chatcmpl-" : "cmpl-") + counter.next()
        let created = Int(Date().timeIntervalSince1970)
        @Sendable func chunk(_ text: String?, finish: String?) -> JSONValue {
            let choice: JSONValue = chat
                ? .map([.init("index", .number("0")), .init("delta", text.map { .map([.init("content", .string($0))]) } ?? .map([])),
                        .init("finish_reason", finish.map(JSONValue.string) ?? .null)])
                : .map([.init("index", .number("0")), .init("text", .string(text ?? "")), .init("finish_reason", finish.map(JSONValue.string) ?? .null)])
            return .map([.init("id", .string(id)), .init("object", .string(chat ? "chat.completion.chunk" : "text_completion")),
                         .init("created", .number(String(created))), .init("model", .string(modelName)), .init("choices", .list([choice]))])
        }
        @Sendable func usage(_ completion: Int) -> JSONValue {
            .map([.init("prompt_tokens", .number(String(job.prompt.count))), .init("completion_tokens", .number(String(completion))),
                  .init("total_tokens", .number(String(job.prompt.count + completion)))])
        }
        if job.stream {
            // The turn is taken inside the body: a body that never runs (the client left first) holds nothing.
            return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"], body: ResponseBody { writer in
                stats.waiting.add(1, ordering: .relaxed)
                let admitted = await gate.acquire()
                stats.waiting.subtract(1, ordering: .relaxed)
                guard admitted else {
                    try await writer.write(SSE.event(OpenAIError.rateLimited("lumen-engine's queue is full", retryAfter: 1).body.json(pretty: false)))
                    try await writer.finish(nil)
                    return
                }
                defer { Task { await gate.release() } }
                if chat {
                    let role = chunk(nil, finish: nil).setting("choices", .list([.map([.init("index", .number("0")),
                        .init("delta", .map([.init("role", .string("assistant")), .init("content", .string(""))])), .init("finish_reason", .null)])]))
                    try await writer.write(SSE.event(role.json(pretty: false)))
                }
                do {
                    let (finish, tokens) = try await run(job) { text in try await writer.write(SSE.event(chunk(text, finish: nil).json(pretty: false))) }
                    try await writer.write(SSE.event(chunk(nil, finish: finish).json(pretty: false)))
                    if job.includeUsage {
                        let last = chunk(nil, finish: nil).setting("choices", .list([])).setting("usage", usage(tokens))
                        try await writer.write(SSE.event(last.json(pretty: false)))
                    }
                } catch let error as GGUFError {
                    try await writer.write(SSE.event(OpenAIError.server("\(error)").body.json(pretty: false)))
                }
                try await writer.write(SSE.event(SSE.done))
                try await writer.finish(nil)
            })
        }
        stats.waiting.add(1, ordering: .relaxed)
        let admitted = await gate.acquire()
        stats.waiting.subtract(1, ordering: .relaxed)
        guard admitted else { return HTTPAnswer.error(.rateLimited("lumen-engine's queue is full", retryAfter: 1)) }
        defer { Task { await gate.release() } }
        var text = ""
        do {
            let (finish, tokens) = try await run(job) { text += $0 }
            let choice: JSONValue = chat
                ? .map([.init("index", .number("0")), .init("message", .map([.init("role", .string("assistant")), .init("content", .string(text))])),
                        .init("finish_reason", .string(finish))])
                : .map([.init("index", .number("0")), .init("text", .string(text)), .init("finish_reason", .string(finish))])
            return HTTPAnswer.json(.map([.init("id", .string(id)), .init("object", .string(chat ? "chat.completion" : "text_completion")),
                                   .init("created", .number(String(created))), .init("model", .string(modelName)),
                                   .init("choices", .list([choice])), .init("usage", usage(tokens))]))
        } catch {
            return HTTPAnswer.error(.server("generation failed: \(error)"))
        }
    }
}
