import Foundation
import LumenStore
import Synchronization

/// Per-key limits on this agent: requests and tokens per minute (sliding one-minute window)
/// and concurrent streams.
final class KeyLimiter: Sendable {
    private struct Usage {
        var requests: [Double] = []
        var tokens: [(at: Double, count: Int)] = []
        var openStreams = 0
    }

    private let usage = Mutex<[String: Usage]>([:])

    enum Refusal: Error {
        case requestsPerMinute(limit: Int, retryAfter: Int)
        case tokensPerMinute(limit: Int, retryAfter: Int)
        case streams(limit: Int)
    }

    /// Admits a request for `key` or says which limit it hits. An admitted stream must be released.
    func admit(_ key: APIKeyRecord, stream: Bool, now: Double = Date().timeIntervalSince1970) -> Refusal? {
        usage.withLock { table in
            var entry = table[key.hash] ?? Usage()
            entry.requests.removeAll { $0 <= now - 60 }
            entry.tokens.removeAll { $0.at <= now - 60 }
            if let limit = key.requestsPerMinute, entry.requests.count >= limit {
                table[key.hash] = entry
                return .requestsPerMinute(limit: limit, retryAfter: max(1, Int((entry.requests.first ?? now) + 60 - now) + 1))
            }
            if let limit = key.tokensPerMinute, entry.tokens.reduce(0, { $0 + $1.count }) >= limit {
                table[key.hash] = entry
                return .tokensPerMinute(limit: limit, retryAfter: max(1, Int((entry.tokens.first?.at ?? now) + 60 - now) + 1))
            }
            if stream, let limit = key.maxStreams, entry.openStreams >= limit {
                table[key.hash] = entry
                return .streams(limit: limit)
            }
            entry.requests.append(now)
            if stream { entry.openStreams += 1 }
            table[key.hash] = entry
            return nil
        }
    }

    func releaseStream(_ key: APIKeyRecord) {
        usage.withLock { $0[key.hash]?.openStreams -= 1 }
    }

    func recordTokens(_ key: APIKeyRecord, _ count: Int, now: Double = Date().timeIntervalSince1970) {
        guard count > 0, key.tokensPerMinute != nil else { return }
        usage.withLock { $0[key.hash, default: Usage()].tokens.append((now, count)) }
    }
}
