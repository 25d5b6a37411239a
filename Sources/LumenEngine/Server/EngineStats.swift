import Foundation
import Synchronization

/// What the engine is doing, for `/metrics`, and whether generation still makes progress, for `/health`.
final class EngineStats: Sendable {
    let requests = Atomic<Int>(0)
    let promptTokens = Atomic<Int>(0)
    let generatedTokens = Atomic<Int>(0)
    let running = Atomic<Int>(0)
    let waiting = Atomic<Int>(0)
    /// Key/value positions in use (by sequences and the prefix cache), and how many the cache holds.
    let cacheTokens = Atomic<Int>(0)
    let kvCacheCapacity = Atomic<Int>(0)
    /// Prompt tokens looked up in the prefix cache, and those found there.
    let prefixQueriedTokens = Atomic<Int>(0)
    let prefixHitTokens = Atomic<Int>(0)
    /// Draft tokens proposed for verification, and those the model accepted.
    let speculativeProposed = Atomic<Int>(0)
    let speculativeAccepted = Atomic<Int>(0)
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

    func prometheusText() -> String {
        let cached = cacheTokens.load(ordering: .relaxed)
        let queried = prefixQueriedTokens.load(ordering: .relaxed), hits = prefixHitTokens.load(ordering: .relaxed)
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
            # HELP lumen_engine_kv_cache_tokens Key/value positions in use, by sequences and the prefix cache.
            # TYPE lumen_engine_kv_cache_tokens gauge
            lumen_engine_kv_cache_tokens \(cached)
            # HELP lumen_engine_kv_cache_usage_ratio Share of the key/value cache in use.
            # TYPE lumen_engine_kv_cache_usage_ratio gauge
            lumen_engine_kv_cache_usage_ratio \(Double(cached) / Double(max(1, kvCacheCapacity.load(ordering: .relaxed))))
            # HELP lumen_engine_prefix_cache_queried_tokens_total Prompt tokens looked up in the prefix cache.
            # TYPE lumen_engine_prefix_cache_queried_tokens_total counter
            lumen_engine_prefix_cache_queried_tokens_total \(queried)
            # HELP lumen_engine_prefix_cache_hit_tokens_total Prompt tokens found in the prefix cache (not computed again).
            # TYPE lumen_engine_prefix_cache_hit_tokens_total counter
            lumen_engine_prefix_cache_hit_tokens_total \(hits)
            # HELP lumen_engine_prefix_cache_hit_ratio Share of looked-up prompt tokens found in the prefix cache.
            # TYPE lumen_engine_prefix_cache_hit_ratio gauge
            lumen_engine_prefix_cache_hit_ratio \(Double(hits) / Double(max(1, queried)))
            # HELP lumen_engine_speculative_proposed_tokens_total Draft tokens proposed for verification.
            # TYPE lumen_engine_speculative_proposed_tokens_total counter
            lumen_engine_speculative_proposed_tokens_total \(speculativeProposed.load(ordering: .relaxed))
            # HELP lumen_engine_speculative_accepted_tokens_total Draft tokens the model accepted.
            # TYPE lumen_engine_speculative_accepted_tokens_total counter
            lumen_engine_speculative_accepted_tokens_total \(speculativeAccepted.load(ordering: .relaxed))

            """
    }
}
