import Foundation
public import Hummingbird
import LumenAPI
public import Logging
import NIOCore
import Synchronization

/// lumen-engine's OpenAI-compatible server for a GGUF model: chat and completions, whole or as
/// SSE, with OpenAI's sampling options, stop strings, log-probabilities, `n` choices and
/// `continue_final_message`. Generation runs on the `InferenceEngine`'s own thread, batched
/// continuously with every other request.
public struct EngineServer: Sendable {
    public let model: LlamaModel
    public let tokenizer: any TextTokenizer
    public let template: ChatTemplate
    public let modelName: String
    let bos: Int?
    let eos: Int
    /// The vocabulary's control tokens, read as themselves in prompts (found once, not per request).
    let controlTokens: [(id: Int, text: String)]
    private let counter = RequestCounter()
    let engine: InferenceEngine
    var stats: EngineStats { engine.stats }
    /// Requests waiting for a turn beyond this are refused (429) rather than queued.
    var maxWaiting = 256
    /// A sequence without a new token this long makes `/health` fail: generation is wedged.
    public var wedgeTimeout: Double = 60

    public init(file: GGUFFile, modelName: String, template override: ChatTemplate? = nil, draft: GGUFFile? = nil, options: EngineOptions = EngineOptions()) throws {
        model = try LlamaModel(file: file)
        var draftModel: LlamaModel?
        if let draft {
            draftModel = try LlamaModel(file: draft)
            guard draftModel?.configuration.vocabulary == model.configuration.vocabulary else {
                throw GGUFError("the draft model \(draft.path) has a vocabulary of \(draftModel?.configuration.vocabulary ?? 0) tokens and \(file.path) one of "
                                + "\(model.configuration.vocabulary); a draft model must share its target's tokenizer")
            }
        }
        tokenizer = try loadTokenizer(gguf: file)
        controlTokens = tokenizer.controlTokens
        let declared = file["tokenizer.chat_template"]?.stringValue
        guard let template = override ?? declared.flatMap(ChatTemplate.detect) else {
            throw GGUFError("\(file.path) has " + (declared == nil ? "no chat template" : "a chat template lumen-engine does not recognise")
                            + "; name one with --chat-template " + ChatTemplate.allCases.map(\.rawValue).joined(separator: "|"))
        }
        self.template = template
        self.modelName = modelName
        bos = addsBOSToken(gguf: file) ? file["tokenizer.ggml.bos_token_id"]?.intValue ?? 1 : nil
        eos = file["tokenizer.ggml.eos_token_id"]?.intValue ?? 2
        // Last: its thread and cache memory start only for a file that passed every check.
        engine = InferenceEngine(model: model, draftModel: draftModel, options: options, stats: EngineStats())
    }

    public func application(host: String, port: Int, logger: Logger, onRunning: @escaping @Sendable (Int) async -> Void) -> some ApplicationProtocol {
        let router = Router()
        router.get("/health") { _, _ in
            if let stalled = stats.stalledSeconds, stalled > wedgeTimeout {
                return HTTPAnswer.json(.map([.init("status", .string("wedged")),
                                             .init("detail", .string("generation has not advanced for \(Int(stalled)) s; restart lumen-engine"))]),
                                       status: .serviceUnavailable)
            }
            return HTTPAnswer.json(.map([.init("status", .string("ok"))]))
        }
        router.get("/metrics") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                     body: ResponseBody(byteBuffer: ByteBuffer(string: stats.prometheusText())))
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
        var sampling: SamplingOptions
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
            text = template.render(pairs, continueFinal: continueFinal, endOfSequence: controlTokens.first { $0.id == eos }?.text ?? "")
        } else {
            guard let prompt = body["prompt"]?.stringValue else { throw .invalidRequest("prompt is required and must be a string", param: "prompt") }
            text = prompt
        }
        let prompt = (bos.map { [$0] } ?? []) + encodeWithSpecialTokens(text)
        guard !prompt.isEmpty else {
            throw .invalidRequest("the prompt is empty and this model adds no BOS token; send at least one token of text", param: chat ? "messages" : "prompt")
        }
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
        return Job(prompt: prompt, maxTokens: min(asked ?? context, context - prompt.count), sampling: try SamplingOptions(body: body, chat: chat),
                   stops: stops, stream: body["stream"]?.boolValue ?? false,
                   includeUsage: body["stream_options"]?["include_usage"]?.boolValue ?? false, ignoreEOS: body["ignore_eos"]?.boolValue ?? false)
    }

    static func int(_ body: JSONValue, _ key: String) throws(OpenAIError) -> Int? {
        guard let value = body[key], !value.isNull else { return nil }
        guard let number = value.intValue, number >= 1 else { throw .invalidRequest("\(key) must be a positive integer", param: key) }
        return number
    }

    /// Text to tokens, with the vocabulary's control tokens (`</s>`, `<|im_end|>`) read as themselves.
    func encodeWithSpecialTokens(_ text: String) -> [Int] {
        var tokens: [Int] = []
        var rest = Substring(text)
        var first = true
        while !rest.isEmpty {
            let found = controlTokens.compactMap { special in rest.range(of: special.text).map { (special.id, $0) } }.min { $0.1.lowerBound < $1.1.lowerBound }
            let plain = found.map { rest[..<$0.1.lowerBound] } ?? rest
            if !plain.isEmpty { tokens += tokenizer.encode(String(plain), atStart: first) }
            first = false
            guard let (id, range) = found else { break }
            tokens.append(id)
            rest = rest[range.upperBound...]
        }
        return tokens
    }

    /// Submits one sequence per choice; a request the cache could never hold is refused whole.
    func submit(_ job: Job) throws(OpenAIError) -> [GenerationHandle] {
        guard stats.waiting.load(ordering: .relaxed) < maxWaiting else {
            throw .rateLimited("lumen-engine has \(maxWaiting) requests waiting; retry shortly or add replicas", retryAfter: 1)
        }
        let seed = job.sampling.seed ?? UInt64.random(in: 0 ... .max)
        var handles: [GenerationHandle] = []
        for choice in 0..<job.sampling.n {
            let request = GenerationRequest(prompt: job.prompt, maxTokens: job.maxTokens, sampling: job.sampling, seed: seed &+ UInt64(choice),
                                            stopTokens: job.ignoreEOS ? [] : [eos], topLogprobs: job.sampling.logprobs ? job.sampling.topLogprobs : nil)
            do {
                handles.append(try engine.submit(request))
            } catch {
                for handle in handles { handle.cancel() }
                throw .invalidRequest(error.description, param: "max_tokens", code: "kv_cache_exceeded")
            }
        }
        return handles
    }

    /// A choice's output so far: tokens become text once a character is whole and no stop string
    /// could still begin in it.
    struct ChoiceText {
        let tokenizer: any TextTokenizer
        let stops: [String]
        var tokens: [Int] = []
        var sent = ""
        var logprobs: [TokenLogprobs] = []
        var unsentLogprobs: [TokenLogprobs] = []
        var finish: String?
        var cachedTokens = 0

        /// Text ready to send after `token`; sets `finish` at a stop string. Counted in Unicode
        /// scalars: a later token may join a sent character into one grapheme with its own.
        mutating func add(_ token: Int, _ tokenLogprobs: TokenLogprobs?) -> String? {
            tokens.append(token)
            if let tokenLogprobs {
                logprobs.append(tokenLogprobs)
                unsentLogprobs.append(tokenLogprobs)
            }
            let text = tokenizer.decode(tokens)
            if let stop = stops.compactMap({ text.range(of: $0) }).min(by: { $0.lowerBound < $1.lowerBound }) {
                finish = "stop"
                return take(text[..<stop.lowerBound].unicodeScalars)
            }
            let holdBack = max(0, (stops.map(\.unicodeScalars.count).max() ?? 0) - 1)
            let scalars = text.unicodeScalars
            guard scalars.last != "\u{FFFD}", scalars.count - holdBack > sentScalars else { return nil }
            return take(scalars.dropLast(holdBack))
        }

        /// What is left once generation ends.
        mutating func flush() -> String? { take(tokenizer.decode(tokens).unicodeScalars[...]) }

        /// Unicode scalars of `sent`.
        var sentScalars = 0

        private mutating func take(_ ready: Substring.UnicodeScalarView) -> String? {
            guard ready.count > sentScalars else { return nil }
            let new = String(String.UnicodeScalarView(ready.dropFirst(sentScalars)))
            sent += new
            sentScalars = ready.count
            return new
        }
    }

    /// Runs every choice side by side, passing each piece of text, and then each finish reason, to
    /// `emit` with the choice's index; returns the choices in order.
    func runAll(_ handles: [GenerationHandle], stops: [String],
                emit: @escaping @Sendable (Int, inout ChoiceText, String?, String?, GenerationHandle?) -> Void) async throws -> [ChoiceText] {
        try await withThrowingTaskGroup(of: (Int, ChoiceText).self) { group in
            for (index, handle) in handles.enumerated() {
                group.addTask {
                    var done = try await run(handle, stops: stops) { choice, text in emit(index, &choice, text, nil, handle) }
                    emit(index, &done, nil, done.finish, nil)
                    return (index, done)
                }
            }
            var choices: [(Int, ChoiceText)] = []
            for try await result in group { choices.append(result) }
            return choices.sorted { $0.0 < $1.0 }.map(\.1)
        }
    }

    /// Runs one choice, passing each piece of text (with its tokens' log-probabilities) to `emit`.
    /// The token that completed a piece counts as taken when whoever sends the piece calls the
    /// handle's `consumed()`; tokens still held back count as taken at once.
    func run(_ handle: GenerationHandle, stops: [String], emit: (inout ChoiceText, String) async throws -> Void) async throws -> ChoiceText {
        var choice = ChoiceText(tokenizer: tokenizer, stops: stops)
        defer { handle.cancel() }
        for try await event in handle.events {
            switch event {
            case .started(let cached): choice.cachedTokens = cached
            case .token(let token, let logprobs):
                if let text = choice.add(token, logprobs) { try await emit(&choice, text) } else { handle.consumed() }
                if choice.finish != nil { return choice }
            case .finished(let reason):
                if let text = choice.flush() { try await emit(&choice, text) }
                choice.finish = reason
                return choice
            }
        }
        throw CancellationError()
    }

    /// Log-probabilities as the chat API shows them (`content`) or as completions do.
    func logprobsJSON(_ entries: [TokenLogprobs], chat: Bool) -> JSONValue {
        func piece(_ token: Int) -> String { tokenizer.decode([token]) }
        func number(_ value: Float) -> JSONValue { .number(String(Double(value))) }
        if chat {
            return .map([.init("content", .list(entries.map { entry in
                .map([.init("token", .string(piece(entry.token))), .init("logprob", number(entry.logprob)),
                      .init("bytes", .list(Array(piece(entry.token).utf8).map { .number(String($0)) })),
                      .init("top_logprobs", .list(entry.top.map { alternative in
                          .map([.init("token", .string(piece(alternative.token))), .init("logprob", number(alternative.logprob)),
                                .init("bytes", .list(Array(piece(alternative.token).utf8).map { .number(String($0)) }))])
                      }))])
            }))])
        }
        return .map([.init("tokens", .list(entries.map { .string(piece($0.token)) })),
                     .init("token_logprobs", .list(entries.map { number($0.logprob) })),
                     .init("top_logprobs", .list(entries.map { entry in .map(entry.top.map { .init(piece($0.token), number($0.logprob)) }) }))])
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
        let handles: [GenerationHandle]
        do {
            job = try self.job(try JSONValue.requestBody(buffer), chat: chat)
            handles = try submit(job)
        } catch {
            return HTTPAnswer.error(error)
        }
        let id = (chat ? "chatcmpl-" : "cmpl-") + counter.next()
        let created = Int(Date().timeIntervalSince1970)
        let object = chat ? (job.stream ? "chat.completion.chunk" : "chat.completion") : "text_completion"
        @Sendable func envelope(_ choices: [JSONValue]) -> JSONValue {
            .map([.init("id", .string(id)), .init("object", .string(object)), .init("created", .number(String(created))),
                  .init("model", .string(modelName)), .init("choices", .list(choices))])
        }
        @Sendable func usage(_ choices: [ChoiceText]) -> JSONValue {
            let completion = choices.reduce(0) { $0 + $1.tokens.count }
            return .map([.init("prompt_tokens", .number(String(job.prompt.count))), .init("completion_tokens", .number(String(completion))),
                         .init("total_tokens", .number(String(job.prompt.count + completion))),
                         .init("prompt_tokens_details", .map([.init("cached_tokens", .number(String(choices.first?.cachedTokens ?? 0)))]))])
        }
        let logprobs = job.sampling.logprobs
        @Sendable func choiceJSON(_ index: Int, text: String?, finish: String?, logprobEntries: [TokenLogprobs], whole: Bool) -> JSONValue {
            var fields: [JSONValue.Entry] = [.init("index", .number(String(index)))]
            if chat {
                let content: [JSONValue.Entry] = (whole ? [.init("role", .string("assistant"))] : []) + (text.map { [.init("content", .string($0))] } ?? [])
                fields.append(.init(whole ? "message" : "delta", .map(content)))
            } else {
                fields.append(.init("text", .string(text ?? "")))
            }
            if logprobs { fields.append(.init("logprobs", logprobEntries.isEmpty && !whole ? .null : logprobsJSON(logprobEntries, chat: chat))) }
            fields.append(.init("finish_reason", finish.map(JSONValue.string) ?? .null))
            return .map(fields)
        }
        if job.stream {
            return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"], body: ResponseBody { writer in
                defer { for handle in handles { handle.cancel() } }
                // Choices run side by side; their events reach the client through one writer.
                // A piece's token counts as taken once it is written, so a slow client slows only its sequences.
                let (events, sink) = AsyncStream<(JSONValue, GenerationHandle?)>.makeStream()
                if chat {
                    for index in handles.indices {
                        let role: JSONValue = .map([.init("index", .number(String(index))),
                                                    .init("delta", .map([.init("role", .string("assistant")), .init("content", .string(""))])),
                                                    .init("finish_reason", .null)])
                        sink.yield((envelope([role]), nil))
                    }
                }
                let results = Task {
                    try await runAll(handles, stops: job.stops) { index, choice, text, finish, handle in
                        sink.yield((envelope([choiceJSON(index, text: text, finish: finish, logprobEntries: choice.unsentLogprobs, whole: false)]), handle))
                        choice.unsentLogprobs = []
                    }
                }
                Task {
                    _ = await results.result
                    sink.finish()
                }
                do {
                    for await (event, handle) in events {
                        try await writer.write(SSE.event(event.json(pretty: false)))
                        handle?.consumed()
                    }
                } catch {
                    results.cancel()
                    throw error
                }
                let choices = try await results.value
                if job.includeUsage {
                    try await writer.write(SSE.event(envelope([]).setting("usage", usage(choices)).json(pretty: false)))
                }
                try await writer.write(SSE.event(SSE.done))
                try await writer.finish(nil)
            })
        }
        do {
            let choices = try await runAll(handles, stops: job.stops) { _, _, _, _, handle in handle?.consumed() }
            let json = choices.enumerated().map { index, choice in
                choiceJSON(index, text: choice.sent, finish: choice.finish, logprobEntries: choice.logprobs, whole: true)
            }
            return HTTPAnswer.json(envelope(json).setting("usage", usage(choices)))
        } catch {
            for handle in handles { handle.cancel() }
            return HTTPAnswer.error(.server("generation failed: \(error); retry the request"))
        }
    }
}
