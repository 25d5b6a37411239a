/// How the simulator behaves: its timing and the faults it injects.
public struct SimulatorOptions: Sendable {
    /// The model id it reports and accepts.
    public var modelName = "sim"
    /// Time to the first token.
    public var timeToFirstToken: Duration = .milliseconds(20)
    /// Time between tokens.
    public var interTokenLatency: Duration = .milliseconds(5)
    /// Requests served at once; more wait in a queue.
    public var maxConcurrency = 64
    /// Requests allowed to wait when all slots are busy; more get 429.
    public var maxQueue = 1024
    /// Break a stream after this many tokens, the way `fault` says.
    public var failAfter: Int?
    public var fault = StreamFault.reset
    /// Reset a stream's connection after this many bytes of its body, even inside an event.
    public var failAfterBytes: Int?
    /// Stop sending after this many tokens, keeping the connection open.
    public var stallAfter: Int?
    /// Answer every generation request with this HTTP status and an error body.
    public var status: Int?
    /// Share of requests answered with 500, drawn from a generator seeded by `seed`.
    public var errorRate = 0.0
    public var seed: UInt64 = 0
    /// Floats in each embedding.
    public var embeddingDimensions = 16
    /// Prefix-cache capacity in blocks of 16 words (0: no cache); a cached prompt token skips prefill.
    public var prefixCacheBlocks = 0
    /// Prefill time per prompt token not found in the prefix cache, added to the first token's wait.
    public var prefillPerToken: Duration = .zero
    /// Time after start during which the server answers, like llama-server loading weights:
    /// `/health` with 503 `{"status": "loading"}`, generation requests with 503 and `retry-after: 1`.
    public var loadTime: Duration = .zero

    public init() {}
}

/// How a stream breaks at `--fail-after`: the ways real upstreams fail mid-stream.
public enum StreamFault: String, CaseIterable, Sendable {
    /// The connection is cut: no `[DONE]`, no end of the chunked body.
    case reset
    /// An `{"error": ...}` event, then `[DONE]` (as vLLM reports an engine failure).
    case error
    /// An event that is not JSON, then `[DONE]`.
    case malformed
    /// An event that looks like a chunk but is invalid JSON (a lone surrogate escape), then `[DONE]`.
    case invalidJSON = "invalid-json"
    /// The body ends cleanly but without `[DONE]`.
    case noDone = "no-done"
}
