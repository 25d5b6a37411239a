import Synchronization

/// What the simulator has done so far, served as Prometheus text at `/metrics`, so tests and
/// benchmarks can see from outside whether a stream is being produced or held back.
final class SimulatorStats: Sendable {
    let requests = Atomic<Int>(0)
    let openStreams = Atomic<Int>(0)
    let tokensSent = Atomic<Int>(0)
    /// Streams whose latest write is held back because the client is not reading: paused streams.
    let streamsWaitingOnClient = Atomic<Int>(0)
    let promptTokens = Atomic<Int>(0)
    let cachedPromptTokens = Atomic<Int>(0)

    var prometheusText: String {
        """
        # HELP lumen_simulator_requests_total Generation requests received.
        # TYPE lumen_simulator_requests_total counter
        lumen_simulator_requests_total \(requests.load(ordering: .relaxed))
        # HELP lumen_simulator_streams_open Streams being answered now.
        # TYPE lumen_simulator_streams_open gauge
        lumen_simulator_streams_open \(openStreams.load(ordering: .relaxed))
        # HELP lumen_simulator_tokens_sent_total Tokens written to clients (streamed or whole).
        # TYPE lumen_simulator_tokens_sent_total counter
        lumen_simulator_tokens_sent_total \(tokensSent.load(ordering: .relaxed))
        # HELP lumen_simulator_streams_waiting_on_client Streams whose write waits for the client to read.
        # TYPE lumen_simulator_streams_waiting_on_client gauge
        lumen_simulator_streams_waiting_on_client \(streamsWaitingOnClient.load(ordering: .relaxed))
        # HELP lumen_simulator_prompt_tokens_total Prompt tokens received (with --prefix-cache).
        # TYPE lumen_simulator_prompt_tokens_total counter
        lumen_simulator_prompt_tokens_total \(promptTokens.load(ordering: .relaxed))
        # HELP lumen_simulator_cached_prompt_tokens_total Prompt tokens found in the prefix cache.
        # TYPE lumen_simulator_cached_prompt_tokens_total counter
        lumen_simulator_cached_prompt_tokens_total \(cachedPromptTokens.load(ordering: .relaxed))

        """
    }
}
