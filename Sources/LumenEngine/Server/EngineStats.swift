import Foundation
import Synchronization

/// What the engine is doing, for `/metrics`, and whether generation still makes progress, for `/health`.
final class EngineStats: Sendable {
    let requests = Atomic<Int>(0)
    let promptTokens = Atomic<Int>(0)
    let generatedTokens = Atomic<Int>(0)
    let running = Atomic<Int>(0)
    let waiting = Atomic<Int>(0)
    /// Key/value positions held by running sequences.
    let cacheTokens = Atomic<Int>(0)
    /// When a running sequence last produced a token (or started), in uptime nanoseconds.
    private let lastProgress = Atomic<UInt64>(DispatchTime.now().uptimeNanoseconds)

    func progressed() {
        lastProgress.store(DispatchTime.now().uptimeNanoseconds, ordering: .relaxed)
    }

    /// Seconds a running sequence has gone without a token; nil when none runs.
    var stalledSeconds: Double? {
        guard running.load(ordering: .relaxed) > 0 else { return nil }
        return Double(DispatchTime.now().uptimeNanoseconds &- lastProgress.load(ordering: .relaxed)) / 1e9
    }

    func prometheusText(context: Int) -> String {
        let cached = cacheTokens.load(ordering: .relaxed)
        return """
            # HELP lumen_engine_requests_total Generation requests accepted.
            # TYPE lumen_engine_requests_total counter
            lumen_engine_requests_total \(requests.load(ordering: .relaxed))
            # HELP lumen_engine_prompt_tokens_total Prompt tokens processed.
            # TYPE lumen_engine_prompt_tokens_total counter
            lumen_engine_prompt_tokens_total \(promptTokens.load(ordering: .relaxed))
            # HELP lumen_engine_generated_tokens_total Tokens generated (rate() of it is tokens per second).
            # TYPE lumen_engine_generated_tokens_total counter
            lumen_engine_generated_tokens_total \(generatedTokens.load(ordering: .relaxed))
            # HELP lumen_engine_requests_running Sequences being generated now.
            # TYPE lumen_engine_requests_running gauge
            lumen_engine_requests_running \(running.load(ordering: .relaxed))
            # HELP lumen_engine_requests_waiting Requests queued for their turn.
            # TYPE lumen_engine_requests_waiting gauge
            lumen_engine_requests_waiting \(waiting.load(ordering: .relaxed))
            # HELP lumen_engine_kv_cache_tokens Key/value positions held by running sequences.
            # TYPE lumen_engine_kv_cache_tokens gauge
            lumen_engine_kv_cache_tokens \(cached)
            # HELP lumen_engine_kv_cache_usage_ratio Share of the context's key/value positions in use.
            # TYPE lumen_engine_kv_cache_usage_ratio gauge
            lumen_engine_kv_cache_usage_ratio \(Double(cached) / Double(max(1, context)))

            """
    }
}
