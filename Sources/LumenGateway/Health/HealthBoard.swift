public import Foundation
import Synchronization

/// What this agent knows about each upstream's health, from live traffic (passive) and probes
/// (active). Upstreams that fail in a row are ejected for a backoff that grows with each ejection
/// (capped, jittered), but never more than a set share of a model's upstreams at once; an
/// ejected upstream comes back when a probe or a trial request succeeds.
public final class HealthBoard: Sendable {
    public enum State: String, Sendable, Codable, CaseIterable {
        case healthy, degraded, ejected, draining, starting
    }

    public struct Policy: Sendable {
        public var failuresToEject = 3
        public var firstEjection: Duration = .seconds(5)
        public var longestEjection: Duration = .seconds(300)
        public var maxEjectedShare = 0.5
        /// Outcomes kept for the error rate.
        public var window = 20
        public var degradedErrorRate = 0.2
        /// A first token slower than this many times the upstream's median is an outlier.
        public var ttftOutlierFactor = 4.0
        /// Share of the last `window` first tokens that must be outliers to degrade the upstream:
        /// one slow token is noise (a busy host), a run of them is a sick replica.
        public var degradedOutlierShare = 0.25

        public init() {}
    }

    /// One upstream as `lumenctl health` shows it.
    public struct Report: Sendable, Codable, Hashable {
        public var upstream: String
        public var model: String
        public var state: State
        public var reason: String
        public var secondsInState: Double
        public var ttftP50Milliseconds: Double?
        public var ttftP95Milliseconds: Double?
        public var ttftP99Milliseconds: Double?
        public var interTokenP50Milliseconds: Double?
        public var errorRate: Double
        public var requests: Int
        public var inFlight: Int
        public var lastError: String?
        public var ejections: Int
    }

    private struct Record {
        var model: String
        var state = State.healthy
        var reason = "no traffic yet"
        var since: ContinuousClock.Instant
        var consecutiveFailures = 0
        var ejections = 0
        var ejectedUntil: ContinuousClock.Instant?
        var ttft = Samples()
        var interToken = Samples()
        var outcomes: [Bool] = []
        /// Whether each of the last first tokens was an outlier.
        var outliers: [Bool] = []
        var requests = 0
        var inFlight = 0
        var lastError: String?
        /// Until when the upstream asked for less traffic (a 429): tried after the others meanwhile.
        var pressuredUntil: ContinuousClock.Instant?

        mutating func move(to state: State, _ reason: String, at now: ContinuousClock.Instant) {
            if state != self.state { since = now }
            self.state = state
            self.reason = reason
        }

        var errorRate: Double {
            outcomes.isEmpty ? 0 : Double(outcomes.filter { !$0 }.count) / Double(outcomes.count)
        }

        var outlierShare: Double {
            outliers.isEmpty ? 0 : Double(outliers.filter { $0 }.count) / Double(outliers.count)
        }
    }

    private let records = Mutex<[String: Record]>([:])
    private let policy: Policy
    private let clock: @Sendable () -> ContinuousClock.Instant
    private let jitter: @Sendable () -> Double

    public init(policy: Policy = Policy(), clock: @escaping @Sendable () -> ContinuousClock.Instant = { .now },
                jitter: @escaping @Sendable () -> Double = { Double.random(in: 0.8...1.2) }) {
        self.policy = policy
        self.clock = clock
        self.jitter = jitter
    }

    /// `upstreams` in the order to try them: healthy, then degraded, then ejected ones whose
    /// ejection has run out (a trial). Ejected ones still serving their time come last, and only
    /// when nothing else is left: better a doubtful upstream than none.
    func order(_ upstreams: [Upstream], model: String) -> [Upstream] {
        let now = clock()
        return records.withLock { table in
            func rank(_ upstream: Upstream) -> Int {
                guard let record = table[upstream.id] else { return 0 }
                let pressured = record.pressuredUntil.map { $0 > now } ?? false
                switch record.state {
                case .healthy, .starting: return pressured ? 1 : 0
                case .degraded: return 1
                case .draining: return 3
                case .ejected: return (record.ejectedUntil.map { $0 <= now } ?? true) ? 2 : 4
                }
            }
            Self.register(upstreams, model: model, in: &table, at: now)
            return upstreams.enumerated().sorted { (rank($0.element), $0.offset) < (rank($1.element), $1.offset) }.map(\.element)
        }
    }

    /// Starts tracking `upstreams` (serving `model`) that are not tracked yet.
    public func register(_ upstreams: [Upstream], model: String) {
        let now = clock()
        records.withLock { Self.register(upstreams, model: model, in: &$0, at: now) }
    }

    private static func register(_ upstreams: [Upstream], model: String, in table: inout [String: Record], at now: ContinuousClock.Instant) {
        for upstream in upstreams where table[upstream.id] == nil {
            table[upstream.id] = Record(model: model, since: now)
        }
    }

    /// The node runtime's word on a replica it runs: starting (a fresh process: what was known of
    /// the last one is dropped), healthy once ready, draining, or ejected while it crash-loops.
    public func mark(_ id: String, model: String, _ state: State, reason: String) {
        let now = clock()
        records.withLock { table in
            if state == .starting || table[id] == nil {
                // Requests the last process had open still end (and are counted down) after the reset.
                let open = table[id]?.inFlight ?? 0
                table[id] = Record(model: model, since: now)
                table[id]?.inFlight = open
            }
            table[id]?.move(to: state, reason, at: now)
        }
    }

    /// Stops tracking an upstream that is gone (a replica stopped for good).
    public func forget(_ id: String) {
        _ = records.withLock { $0.removeValue(forKey: id) }
    }

    /// Requests in flight on each of `ids`.
    public func inFlight(_ ids: [String]) -> [Int] {
        records.withLock { table in ids.map { table[$0]?.inFlight ?? 0 } }
    }

    func started(_ id: String) {
        records.withLock { $0[id]?.inFlight += 1 }
    }

    func ended(_ id: String) {
        records.withLock { $0[id]?.inFlight -= 1 }
    }

    /// A request or probe answered well; `ttft` and `interToken` when measured.
    public func succeeded(_ id: String, ttft: Duration? = nil, interToken: Duration? = nil) {
        let now = clock()
        records.withLock { table in
            guard var record = table[id] else { return }
            record.consecutiveFailures = 0
            record.requests += 1
            record.outcomes.append(true)
            if record.outcomes.count > policy.window { record.outcomes.removeFirst() }
            var slow = false
            if let ttft {
                let milliseconds = ttft.milliseconds
                if let median = record.ttft.percentile(0.5), record.ttft.count >= 20 {
                    let outlier = milliseconds > median * policy.ttftOutlierFactor
                    record.outliers.append(outlier)
                    if record.outliers.count > policy.window { record.outliers.removeFirst() }
                    slow = outlier && record.outlierShare >= policy.degradedOutlierShare
                }
                record.ttft.add(milliseconds)
            }
            if let interToken { record.interToken.add(interToken.milliseconds) }
            if record.state == .ejected {
                record.move(to: .healthy, "recovered: a request succeeded after the ejection", at: now)
            } else if slow {
                record.move(to: .degraded, "\(Int(record.outlierShare * 100))% of its last first tokens slower than "
                    + "\(Int(policy.ttftOutlierFactor))× its median", at: now)
            } else if record.errorRate >= policy.degradedErrorRate {
                record.move(to: .degraded, "error rate \(Int(record.errorRate * 100))% over the last \(record.outcomes.count) requests", at: now)
            } else if record.state != .draining {
                record.move(to: .healthy, "answering", at: now)
            }
            table[id] = record
        }
    }

    /// The upstream said 429: pressure, not ill health. It is tried after the others until
    /// `retryAfter` has passed, and no ejection is counted against it.
    public func pressured(_ id: String, retryAfter: Duration, reason: String) {
        let now = clock()
        records.withLock { table in
            table[id]?.pressuredUntil = now + retryAfter
            table[id]?.lastError = reason
        }
    }

    /// A request or probe failed. `peers` are the ids of the model's upstreams, for the ejection cap.
    public func failed(_ id: String, reason: String, peers: [String]) {
        let now = clock()
        records.withLock { table in
            guard var record = table[id] else { return }
            record.consecutiveFailures += 1
            record.requests += 1
            record.lastError = reason
            record.outcomes.append(false)
            if record.outcomes.count > policy.window { record.outcomes.removeFirst() }
            if record.state == .ejected {
                // A trial after the ejection failed: eject again, for longer.
                eject(&record, because: reason, at: now)
            } else if record.consecutiveFailures >= policy.failuresToEject {
                let ejected = peers.filter { $0 != id && table[$0]?.state == .ejected }.count
                if Double(ejected + 1) <= Double(max(1, peers.count)) * policy.maxEjectedShare {
                    eject(&record, because: reason, at: now)
                } else {
                    record.move(to: .degraded, "\(record.consecutiveFailures) failures in a row (\(reason)); not ejected: "
                        + "\(ejected) of the model's \(peers.count) upstreams already are", at: now)
                }
            } else {
                record.move(to: .degraded, "\(record.consecutiveFailures) failure(s) in a row: \(reason)", at: now)
            }
            table[id] = record
        }
    }

    private func eject(_ record: inout Record, because reason: String, at now: ContinuousClock.Instant) {
        let growth = pow(2, Double(min(record.ejections, 16)))
        let seconds = min(policy.firstEjection.seconds * growth, policy.longestEjection.seconds) * jitter()
        record.ejections += 1
        record.ejectedUntil = now + .milliseconds(Int(seconds * 1000))
        record.move(to: .ejected, "\(record.consecutiveFailures) failures in a row (\(reason)); ejected for \(Int(seconds.rounded())) s", at: now)
    }

    public func reports() -> [Report] {
        let now = clock()
        return records.withLock { table in
            table.map { id, record in
                Report(upstream: id, model: record.model, state: record.state, reason: record.reason,
                       secondsInState: (now - record.since).seconds, ttftP50Milliseconds: record.ttft.percentile(0.5),
                       ttftP95Milliseconds: record.ttft.percentile(0.95), ttftP99Milliseconds: record.ttft.percentile(0.99), interTokenP50Milliseconds: record.interToken.percentile(0.5),
                       errorRate: record.errorRate, requests: record.requests, inFlight: record.inFlight,
                       lastError: record.lastError, ejections: record.ejections)
            }.sorted { ($0.model, $0.upstream) < ($1.model, $1.upstream) }
        }
    }

    /// The best of `ids`' observed TTFT p95 (milliseconds) and decode speed (tokens per second),
    /// from upstreams with enough samples; nil where none has them.
    func observed(_ ids: [String]) -> (ttftP95: Double?, tokensPerSecond: Double?) {
        records.withLock { table in
            var ttft: Double?, speed: Double?
            for id in ids {
                guard let record = table[id], record.state != .ejected, record.ttft.count >= 20 else { continue }
                if let p95 = record.ttft.percentile(0.95) { ttft = min(ttft ?? p95, p95) }
                if let gap = record.interToken.percentile(0.5), gap > 0 { speed = max(speed ?? 0, 1000 / gap) }
            }
            return (ttft, speed)
        }
    }

    /// The upstream's observed TTFT p95 in milliseconds, once it has enough samples.
    func ttftP95(_ id: String) -> Double? {
        records.withLock { table in
            guard let record = table[id], record.ttft.count >= 20 else { return nil }
            return record.ttft.percentile(0.95)
        }
    }
}

/// The last samples of a measure, for percentiles.
struct Samples {
    private var values: [Double] = []
    private var next = 0
    static let capacity = 256

    var count: Int { values.count }

    mutating func add(_ value: Double) {
        if values.count < Self.capacity {
            values.append(value)
        } else {
            values[next] = value
            next = (next + 1) % Self.capacity
        }
    }

    func percentile(_ share: Double) -> Double? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        return sorted[min(sorted.count - 1, Int((Double(sorted.count - 1) * share).rounded()))]
    }
}

extension Duration {
    public var seconds: Double { milliseconds / 1000 }
}
