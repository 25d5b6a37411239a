public import Foundation
public import LumenManifest
public import LumenStore
public import Logging
import LumenAPI
import LumenRouting
import Synchronization

/// Picks which live requests a shadow test mirrors and records the pairs. Mirroring is dark:
/// the mirror never delays, fails or bills the primary; it drops a sample rather than queue one
/// when too many mirrored requests are already in flight.
public final class ShadowMirror: Sendable {
    /// A shadow test as a compiled state holds it.
    public struct Test: Sendable {
        public var name: String
        public var spec: ShadowTestSpec
    }

    private struct Progress {
        /// Requests of the route seen while the test ran, for its sample rate.
        var seen = 0
        /// Requests mirrored, counted against `maxRequests` (restored from the store on start).
        var taken = 0
    }

    private struct State {
        var progress: [String: Progress] = [:]
        var inFlight = 0
        var pending: [ShadowPair] = []
    }

    /// Pairs kept in memory at most while agent.db cannot be written; the oldest go first.
    static let maxPendingPairs = 10_000

    /// Mirrored requests in flight at most; more samples are dropped, not queued.
    let maxInFlight: Int
    private let store: AgentStore?
    private let state = Mutex(State())
    private let logger: Logger
    let metrics: GatewayMetrics

    /// `store` holds the pairs; its counts restore each test's progress toward `maxRequests`.
    public init(store: AgentStore?, metrics: GatewayMetrics, logger: Logger, maxInFlight: Int = 64) {
        self.store = store
        self.metrics = metrics
        self.logger = logger
        self.maxInFlight = maxInFlight
        let counts = (try? store?.shadowPairCounts()) ?? [:]
        state.withLock { state in
            for (test, count) in counts { state.progress[test] = Progress(seen: 0, taken: count) }
        }
    }

    /// The tests that mirror this request, each counted as taken. A test takes every
    /// (1 / sampleRate)-th request of its route, so N requests give ⌊N × sampleRate⌋ pairs.
    func sample(_ tests: [Test], now: Date = Date()) -> [Test] {
        guard !tests.isEmpty else { return [] }
        return state.withLock { state in
            var chosen: [Test] = []
            for test in tests where test.spec.isRunning(taken: state.progress[test.name]?.taken ?? 0, now: now) {
                var progress = state.progress[test.name] ?? Progress()
                let before = Int((Double(progress.seen) * test.spec.sampleRate + 1e-9).rounded(.down))
                progress.seen += 1
                let after = Int((Double(progress.seen) * test.spec.sampleRate + 1e-9).rounded(.down))
                if after > before && state.inFlight < maxInFlight {
                    progress.taken += 1
                    state.inFlight += 1
                    chosen.append(test)
                }
                state.progress[test.name] = progress
            }
            return chosen
        }
    }

    /// Whether `test` still mirrors (not past its `until` or `maxRequests`).
    func isRunning(_ test: Test, now: Date = Date()) -> Bool {
        state.withLock { test.spec.isRunning(taken: $0.progress[test.name]?.taken ?? 0, now: now) }
    }

    /// Pairs taken so far per test on this agent.
    public func taken() -> [String: Int] {
        state.withLock { $0.progress.mapValues(\.taken) }
    }

    /// A mirrored request ended: its pair joins the next write (nil when it never got going).
    func completed(_ pair: ShadowPair?) {
        state.withLock { state in
            state.inFlight -= 1
            if let pair { state.pending.append(pair) }
        }
        if let pair { metrics.recordShadowPair(test: pair.test, route: pair.route, candidateFailed: pair.candidate.failed) }
    }

    /// Writes the pairs collected so far.
    public func flush() {
        let batch = state.withLock { state -> [ShadowPair] in
            defer { state.pending.removeAll(keepingCapacity: true) }
            return state.pending
        }
        guard !batch.isEmpty, let store else { return }
        do {
            try store.appendShadowPairs(batch)
        } catch {
            // Kept for the next attempt, up to a bound: pairs are measurements, not billing data.
            let dropped = state.withLock { state -> Int in
                state.pending.insert(contentsOf: batch, at: 0)
                let over = max(0, state.pending.count - Self.maxPendingPairs)
                state.pending.removeFirst(over)
                return over
            }
            logger.error("shadow pair write failed; will retry", metadata: ["pairs": "\(batch.count)", "dropped": "\(dropped)", "error": "\(error)"])
        }
    }
}
