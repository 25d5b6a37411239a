import Foundation
import LumenStore
import Synchronization

/// Per-key limits on this agent: requests and tokens per minute (a sliding one-minute window of
/// one-second buckets) and concurrent streams. Tokens are held at admission for the request's worst
/// case, so concurrent requests cannot together pass a key's TPM, and settled at the end.
final class KeyLimiter: Sendable {
    /// Counts per second over the last minute: memory stays bounded however fast a key sends.
    struct MinuteWindow {
        private var counts = [Int](repeating: 0, count: 60)
        private var seconds = [Int](repeating: .min, count: 60)

        mutating func add(_ count: Int, at second: Int) {
            let slot = Self.slot(second)
            if seconds[slot] != second { seconds[slot] = second; counts[slot] = 0 }
            counts[slot] += count
        }

        func total(at second: Int) -> Int {
            (0..<60).reduce(0) { sum, slot in seconds[slot] > second - 60 && seconds[slot] <= second ? sum + counts[slot] : sum }
        }

        /// Seconds until the window's total is at most `allowed` (at least 1).
        func secondsUntil(atMost allowed: Int, at second: Int) -> Int {
            let live = (0..<60).filter { seconds[$0] > second - 60 && seconds[$0] <= second && counts[$0] > 0 }
                .sorted { seconds[$0] < seconds[$1] }
            var remaining = total(at: second)
            for slot in live {
                guard remaining > allowed else { break }
                remaining -= counts[slot]
                if remaining <= allowed { return max(1, seconds[slot] + 60 - second) }
            }
            return 1
        }

        private static func slot(_ second: Int) -> Int { ((second % 60) + 60) % 60 }
    }

    private struct Usage {
        var requests = MinuteWindow()
        var tokens = MinuteWindow()
        /// Worst cases of requests still running.
        var heldTokens = 0
        var openStreams = 0
    }

    /// Keys spread over shards so that busy keys do not queue on one lock.
    private final class Shard: Sendable {
        let table = Mutex<[String: Usage]>([:])
    }

    private let shards: [Shard] = (0..<16).map { _ in Shard() }

    enum Refusal: Error {
        case requestsPerMinute(limit: Int, retryAfter: Int)
        case tokensPerMinute(limit: Int, retryAfter: Int)
        /// The request alone may use more tokens than the key allows in a minute: it can never pass.
        case tokensOverLimit(limit: Int, worstCase: Int)
        case streams(limit: Int)
    }

    /// What an admitted request holds against its key: a stream slot and its worst-case tokens.
    /// Settled exactly once, by whichever path ends the request.
    final class Lease: Sendable {
        fileprivate let keyHash: String
        fileprivate let heldTokens: Int
        fileprivate let stream: Bool
        fileprivate let countsTokens: Bool
        private let limiter: KeyLimiter
        private let settled = Atomic<Bool>(false)

        fileprivate init(keyHash: String, heldTokens: Int, stream: Bool, countsTokens: Bool, limiter: KeyLimiter) {
            self.keyHash = keyHash
            self.heldTokens = heldTokens
            self.stream = stream
            self.countsTokens = countsTokens
            self.limiter = limiter
        }

        /// Frees the stream slot and the held tokens and counts the tokens the request used.
        func settle(usedTokens: Int, now: Double = Date().timeIntervalSince1970) {
            guard !settled.exchange(true, ordering: .acquiringAndReleasing) else { return }
            limiter.settle(self, usedTokens: usedTokens, now: now)
        }

        deinit {
            // A path that forgot to settle must not lock the key out.
            settle(usedTokens: 0)
        }
    }

    private func shard(_ keyHash: String) -> Shard {
        shards[Int(UInt(bitPattern: keyHash.hashValue) % UInt(shards.count))]
    }

    /// Admits a request for `key` that may use up to `worstCaseTokens`, or says which limit it hits.
    func admit(_ key: APIKeyRecord, stream: Bool, worstCaseTokens: Int, now: Double = Date().timeIntervalSince1970) -> Result<Lease, Refusal> {
        let second = Int(now.rounded(.down))
        let countsTokens = key.tokensPerMinute != nil
        let held = countsTokens ? worstCaseTokens : 0
        if let limit = key.tokensPerMinute, worstCaseTokens > limit {
            return .failure(.tokensOverLimit(limit: limit, worstCase: worstCaseTokens))
        }
        let refusal: Refusal? = shard(key.hash).table.withLock { table in
            var entry = table[key.hash] ?? Usage()
            if let limit = key.requestsPerMinute, entry.requests.total(at: second) >= limit {
                return .requestsPerMinute(limit: limit, retryAfter: entry.requests.secondsUntil(atMost: limit - 1, at: second))
            }
            if let limit = key.tokensPerMinute, entry.tokens.total(at: second) + entry.heldTokens + held > limit {
                // Held tokens free when their requests end; finished ones when they leave the window.
                let retry = entry.heldTokens > 0 ? 1 : entry.tokens.secondsUntil(atMost: limit - held, at: second)
                return .tokensPerMinute(limit: limit, retryAfter: retry)
            }
            if stream, let limit = key.maxStreams, entry.openStreams >= limit {
                return .streams(limit: limit)
            }
            entry.requests.add(1, at: second)
            entry.heldTokens += held
            if stream { entry.openStreams += 1 }
            table[key.hash] = entry
            return nil
        }
        if let refusal { return .failure(refusal) }
        return .success(Lease(keyHash: key.hash, heldTokens: held, stream: stream, countsTokens: countsTokens, limiter: self))
    }

    private func settle(_ lease: Lease, usedTokens: Int, now: Double) {
        let second = Int(now.rounded(.down))
        shard(lease.keyHash).table.withLock { table in
            guard var entry = table[lease.keyHash] else { return }
            entry.heldTokens = max(0, entry.heldTokens - lease.heldTokens)
            if lease.stream { entry.openStreams = max(0, entry.openStreams - 1) }
            if lease.countsTokens, usedTokens > 0 { entry.tokens.add(usedTokens, at: second) }
            table[lease.keyHash] = entry
        }
    }

    /// Streams open and tokens held for a key (for tests and diagnostics).
    func outstanding(_ key: APIKeyRecord) -> (streams: Int, heldTokens: Int) {
        shard(key.hash).table.withLock { table in (table[key.hash]?.openStreams ?? 0, table[key.hash]?.heldTokens ?? 0) }
    }
}
