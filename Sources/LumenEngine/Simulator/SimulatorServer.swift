import Foundation
public import Hummingbird
import LumenAPI
public import Logging
import NIOCore
import Synchronization

/// The simulator's HTTP server: OpenAI-compatible endpoints with scripted timing and faults.
/// It is a test instrument for the gateway, not an inference engine.
public struct SimulatorServer: Sendable {
    public let options: SimulatorOptions
    private let gate: ConcurrencyGate
    private let faults: FaultDice
    private let counter = RequestCounter()
    private let stats = SimulatorStats()
    private let prefixCache: PrefixCache?
    /// When a `loadTime` ends, counted from the server's creation.
    private let loadedAt: ContinuousClock.Instant

    /// Bodies larger than this are refused with 413.
    public static let maxBodyBytes = 16 * 1024 * 1024

    public init(options: SimulatorOptions) {
        self.options = options
        gate = ConcurrencyGate(limit: options.maxConcurrency, maxWaiting: options.maxQueue)
        faults = FaultDice(seed: options.seed)
        prefixCache = options.prefixCacheBlocks > 0 ? PrefixCache(capacityBlocks: options.prefixCacheBlocks) : nil
        loadedAt = ContinuousClock.now + options.loadTime
    }

    /// True while the simulated model is still loading (`loadTime`).
    private var isLoading: Bool {
        options.loadTime > .zero && ContinuousClock.now < loadedAt
    }

    /// What a generation request gets while loading: 503 with `retry-after`, as llama-server answers then.
    private static let loadingError = OpenAIError(
        status: 503, message: "the model is still loading; retry after 1 s", type: "server_error", code: "model_loading", retryAfter: 1)

    /// The application, bound to `host:port` (port 0 picks a free one; `onRunning` receives it).
    public func application(
        host: String, port: Int, logger: Logger = Logger(label: "lumen.simulator"),
        onRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) -> some ApplicationProtocol {
        let router = Router()
        router.get("/health") { _, _ in
            isLoading
                ? Self.json(.map([.init("status", .string("loading"))]), status: .serviceUnavailable)
                : Self.json(.map([.init("status", .string("ok"))]))
        }
        router.get("/metrics") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                     body: ResponseBody(byteBuffer: ByteBuffer(string: stats.prometheusText)))
        }
        router.get("/v1/models") { _, _ in
            Self.json(.map([
                .init("object", .string("list")),
                .init("data", .list([.map([
                    .init("id", .string(options.modelName)), .init("object", .string("model")),
                    .init("created", .number("0")), .init("owned_by", .string("lumen-simulator")),
                ])])),
            ]))
        }
        router.post("/v1/chat/completions") { request, _ in await generate(request, kind: .chat) }
        router.post("/v1/completions") { request, _ in await generate(request, kind: .completion) }
        router.post("/v1/embeddings") { request, _ in await embeddings(request) }
        return Application(
            router: router,
            server: .streamingHTTP1(),
            configuration: .init(address: .hostname(host, port: port), serverName: "lumen-engine-simulator", backlog: 4096),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? port) },
            logger: logger
        )
    }

    static func json(_ value: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
        HTTPAnswer.json(value, status: status)
    }

    static func error(_ error: OpenAIError) -> Response {
        HTTPAnswer.error(error)
    }

    /// Reads the body into the request itself: a stalling stream then watches the same request for the client leaving.
    private func readBody(_ request: inout Request) async throws(OpenAIError) -> JSONValue {
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: Self.maxBodyBytes)
        } catch {
            throw OpenAIError.tooLarge(limit: Self.maxBodyBytes)
        }
        return try JSONValue.requestBody(buffer)
    }

    /// The scripted failure for this request, if any: `--status`, or a draw against `--error-rate`.
    private func injectedFailure() -> OpenAIError? {
        if let status = options.status {
            let retryAfter = status == 429 || status == 503 ? 1 : nil
            return OpenAIError(status: status, message: "simulated failure (--status \(status))",
                               type: status < 500 ? "invalid_request_error" : "server_error", code: "simulated", retryAfter: retryAfter)
        }
        if options.errorRate > 0, faults.draw() < options.errorRate {
            return .server("simulated failure (--error-rate \(options.errorRate))")
        }
        return nil
    }

    private func generate(_ request: Request, kind: SimulatedRequest.Kind) async -> Response {
        if isLoading { return Self.error(Self.loadingError) }
        var request = request
        stats.requests.add(1, ordering: .relaxed)
        let simulated: SimulatedRequest
        do {
            let body = try await readBody(&request)
            if let failure = injectedFailure() { return Self.error(failure) }
            simulated = try SimulatedRequest(kind: kind, body: body)
        } catch {
            return Self.error(error)
        }
        var prepared = SimulatedResponse(
            request: simulated, id: (kind == .chat ? "chatcmpl-sim-" : "cmpl-sim-") + counter.next(),
            created: Int(Date().timeIntervalSince1970), model: options.modelName)
        if let prefixCache {
            let cached = min(simulated.promptTokens, prefixCache.admit(simulated.promptText))
            prepared.cachedTokens = cached
            prepared.prefill = options.prefillPerToken * (simulated.promptTokens - cached)
            stats.promptTokens.add(simulated.promptTokens, ordering: .relaxed)
            stats.cachedPromptTokens.add(cached, ordering: .relaxed)
        }
        let response = prepared
        if simulated.stream {
            // A client that leaves is noticed when a write fails, and the connection stays reusable.
            // Only a stalling simulator, which may never write again, watches the connection instead
            // (that closes it after the response).
            guard options.stallAfter != nil else {
                return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"],
                                body: ResponseBody { writer in try await stream(response, to: &writer) })
            }
            let request = request
            return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache", .connection: "close"],
                            body: ResponseBody { writer in
                                try await request.body.consumeWithCancellationOnInboundClose { _ in
                                    try await stream(response, to: &writer)
                                }
                            })
        }
        guard await gate.acquire() else { return Self.error(.rateLimited("the simulator's queue is full", retryAfter: 1)) }
        defer { Task { await gate.release() } }
        let longest = (0..<simulated.choices).map { response.pieces(choice: $0).count }.max() ?? 0
        if let stallAfter = options.stallAfter, longest > stallAfter {
            try? await Task.sleep(for: .seconds(86_400))
            return Self.error(.server("simulated stall"))
        }
        if let failAfter = options.failAfter, longest > failAfter {
            return Self.error(.server("simulated failure after \(failAfter) tokens (--fail-after)"))
        }
        try? await Task.sleep(for: options.timeToFirstToken + response.prefill + options.interTokenLatency * max(0, longest - 1))
        stats.tokensSent.add((0..<simulated.choices).reduce(0) { $0 + response.pieces(choice: $1).count }, ordering: .relaxed)
        return Self.json(response.whole())
    }

    private func stream(_ response: SimulatedResponse, to writer: inout any ResponseBodyWriter) async throws {
        guard await gate.acquire() else {
            try await writer.write(SSE.event(OpenAIError.rateLimited("the simulator's queue is full", retryAfter: 1).body.json(pretty: false)))
            try await writer.finish(nil)
            return
        }
        stats.openStreams.add(1, ordering: .relaxed)
        defer { stats.openStreams.subtract(1, ordering: .relaxed) }
        do {
            try await streamAdmitted(response, to: &writer)
            await gate.release()
        } catch {
            await gate.release()
            throw error
        }
    }

    private func streamAdmitted(_ response: SimulatedResponse, to writer: inout any ResponseBodyWriter) async throws {
        let request = response.request
        var bytesLeft = options.failAfterBytes
        try await Task.sleep(for: options.timeToFirstToken + response.prefill)
        if request.kind == .chat {
            for choice in 0..<request.choices {
                try await write(SSE.event(response.roleChunk(choice: choice).json(pretty: false)), to: &writer, bytesLeft: &bytesLeft)
            }
        }
        let pieces = (0..<request.choices).map { response.pieces(choice: $0) }
        var sent = 0
        for step in 0..<(pieces.map(\.count).max() ?? 0) {
            if step > 0 { try await Task.sleep(for: options.interTokenLatency) }
            if let failAfter = options.failAfter, sent >= failAfter {
                try await breakStream(after: failAfter, to: &writer)
                return
            }
            if let stallAfter = options.stallAfter, sent >= stallAfter {
                try await Task.sleep(for: .seconds(86_400))
            }
            for choice in 0..<request.choices where step < pieces[choice].count {
                let chunk = response.contentChunk(choice: choice, piece: pieces[choice][step])
                try await write(SSE.event(chunk.json(pretty: false)), to: &writer, bytesLeft: &bytesLeft)
                stats.tokensSent.add(1, ordering: .relaxed)
            }
            sent += 1
        }
        if let failAfter = options.failAfter, sent >= failAfter {
            try await breakStream(after: failAfter, to: &writer)
            return
        }
        for choice in 0..<request.choices {
            try await write(SSE.event(response.finishChunk(choice: choice).json(pretty: false)), to: &writer, bytesLeft: &bytesLeft)
        }
        if request.includeUsage {
            let tokens = request.toolCall != nil
                ? request.choices * (SimulatedRequest.wordCount(request.toolCall?.arguments ?? "") + 1)
                : pieces.reduce(0) { $0 + $1.count }
            try await write(SSE.event(response.usageChunk(completionTokens: tokens).json(pretty: false)), to: &writer, bytesLeft: &bytesLeft)
        }
        try await write(SSE.event(SSE.done), to: &writer, bytesLeft: &bytesLeft)
        try await writer.finish(nil)
    }

    /// Ends a stream the way `--fault` says, after `tokens` tokens.
    private func breakStream(after tokens: Int, to writer: inout any ResponseBodyWriter) async throws {
        switch options.fault {
        case .reset:
            throw SimulatedFault.failedAfter(tokens)
        case .error:
            let error = OpenAIError.server("simulated engine failure after \(tokens) tokens (--fault error)")
            try await writer.write(SSE.event(error.body.json(pretty: false)))
            try await writer.write(SSE.event(SSE.done))
        case .malformed:
            try await writer.write(ByteBuffer(string: "data: {\"id\": \"broken\n\n"))
            try await writer.write(SSE.event(SSE.done))
        case .invalidJSON:
            try await writer.write(SSE.event(#"{"id":"broken","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"\ud800\u0041"}}]}"#))
            try await writer.write(SSE.event(SSE.done))
        case .noDone:
            break
        }
        try await writer.finish(nil)
    }

    /// Writes one event; the stream counts as waiting on its client until the write is taken, which
    /// for a client that does not read is until it reads again. With `--fail-after-bytes`, the
    /// connection is cut once that many bytes are out, mid-event if need be.
    private func write(_ event: ByteBuffer, to writer: inout any ResponseBodyWriter, bytesLeft: inout Int?) async throws {
        stats.streamsWaitingOnClient.add(1, ordering: .relaxed)
        defer { stats.streamsWaitingOnClient.subtract(1, ordering: .relaxed) }
        if let left = bytesLeft {
            guard event.readableBytes <= left else {
                if left > 0 { try await writer.write(event.getSlice(at: event.readerIndex, length: left) ?? ByteBuffer()) }
                throw SimulatedFault.failedAfterBytes(options.failAfterBytes ?? 0)
            }
            bytesLeft = left - event.readableBytes
        }
        try await writer.write(event)
    }

    private func embeddings(_ request: Request) async -> Response {
        if isLoading { return Self.error(Self.loadingError) }
        var request = request
        do {
            let body = try await readBody(&request)
            if let failure = injectedFailure() { return Self.error(failure) }
            let embedding = try SimulatedEmbedding(body: body, defaultDimensions: options.embeddingDimensions)
            return Self.json(embedding.response(model: options.modelName))
        } catch {
            return Self.error(error)
        }
    }
}

enum SimulatedFault: Error {
    case failedAfter(Int)
    case failedAfterBytes(Int)
}

/// Seeded draws for `--error-rate`, shared by all requests of one server.
final class FaultDice: Sendable {
    private let generator: Mutex<SplitMix64>

    init(seed: UInt64) {
        generator = Mutex(SplitMix64(seed: seed))
    }

    func draw() -> Double {
        generator.withLock { Double($0.next() >> 11) / Double(1 << 53) }
    }
}

final class RequestCounter: Sendable {
    private let value = Mutex(0)

    func next() -> String {
        String(value.withLock { $0 += 1; return $0 })
    }
}
