import Foundation
import Synchronization

/// The replicas of one model that this agent runs itself, as the gateway sees them: those ready
/// for traffic, and the demand the autoscaler must hear of (requests waiting for room, requests
/// sent elsewhere because no replica had room). The node runtime writes readiness; the gateway
/// reads it on every request.
public final class ReplicaPool: Sendable {
    public let model: String

    /// What the autoscaler reads each tick.
    public struct Demand: Sendable {
        /// Requests waiting in this model's queue.
        public var waiting: Int
        /// Requests in flight elsewhere because this model had no room when they arrived.
        public var spilledInFlight: Int
        /// The last time a request wanted this model.
        public var lastWanted: ContinuousClock.Instant
        /// The last time a request wanted it and found no replica running.
        public var lastUnmet: ContinuousClock.Instant?
    }

    private struct State {
        var ready: [Upstream] = []
        /// When the first replica that is starting is expected to be ready.
        var expectedReady: ContinuousClock.Instant?
        var capacityPerReplica = 16
        var queueLimit = 64
        /// Why no replica will come up soon (crash loop, no slots), so requests are refused at once.
        var blocked: String?
        var demand: Demand
        /// Queue tickets in arrival order: only the first may take the next room.
        var tickets: [Int] = []
        var nextTicket = 0
    }

    private let state: Mutex<State>

    public init(model: String) {
        self.model = model
        state = Mutex(State(demand: Demand(waiting: 0, spilledInFlight: 0, lastWanted: .now)))
    }

    // MARK: Written by the node runtime

    /// The replicas that take traffic now, and how many requests each takes before the model counts as full.
    public func update(ready: [Upstream], expectedReady: ContinuousClock.Instant?, capacityPerReplica: Int, queueLimit: Int,
                       blocked: String?) {
        state.withLock {
            $0.blocked = blocked
            $0.ready = ready
            $0.expectedReady = expectedReady
            $0.capacityPerReplica = capacityPerReplica
            $0.queueLimit = queueLimit
        }
    }

    public var demand: Demand { state.withLock { $0.demand } }

    // MARK: Read by the gateway

    public var ready: [Upstream] { state.withLock { $0.ready } }

    var capacityPerReplica: Int { state.withLock { $0.capacityPerReplica } }

    /// When the first replica that is starting is expected to be ready (nil: none, or not known yet).
    var expectedReady: ContinuousClock.Instant? {
        state.withLock { $0.expectedReady }
    }

    /// A request came for this model (it is not idle); `unmet`: and found no replica running.
    func noteWanted(unmet: Bool = false) {
        let now = ContinuousClock.now
        state.withLock {
            $0.demand.lastWanted = now
            if unmet { $0.demand.lastUnmet = now }
        }
    }

    /// A request went to another candidate because this model had no room; it stays counted as
    /// this model's demand until `spillEnded`.
    func spillStarted() {
        let now = ContinuousClock.now
        state.withLock {
            $0.demand.spilledInFlight += 1
            $0.demand.lastWanted = now
            if $0.ready.isEmpty { $0.demand.lastUnmet = now }
        }
    }

    func spillEnded() {
        state.withLock { $0.demand.spilledInFlight -= 1 }
    }

    var blocked: String? { state.withLock { $0.blocked } }

    /// Takes a place in the queue (its ticket), or nil when the queue is full.
    func enqueue(coldStart: Bool) -> Int? {
        let ticket = state.withLock { state -> Int? in
            guard state.demand.waiting < state.queueLimit else { return nil }
            state.demand.waiting += 1
            state.nextTicket += 1
            state.tickets.append(state.nextTicket)
            state.demand.lastWanted = .now
            if coldStart {
                state.demand.lastUnmet = .now
            }
            return state.nextTicket
        }
        return ticket
    }

    /// Whether `ticket` is first in the queue: waiters take room in arrival order, one at a time.
    func isFirst(_ ticket: Int) -> Bool {
        state.withLock { $0.tickets.first == ticket }
    }

    func dequeue(_ ticket: Int) {
        state.withLock {
            $0.demand.waiting -= 1
            $0.tickets.removeAll { $0 == ticket }
        }
    }

    var queueLimit: Int { state.withLock { $0.queueLimit } }
}

/// Every model's pool on this agent, kept across snapshots so readiness and demand survive a push.
public final class ReplicaPools: Sendable {
    private let pools = Mutex<[String: ReplicaPool]>([:])

    public init() {}

    /// The pool of `model`, made on first use.
    public func pool(_ model: String) -> ReplicaPool {
        pools.withLock { table in
            if let pool = table[model] { return pool }
            let pool = ReplicaPool(model: model)
            table[model] = pool
            return pool
        }
    }
}
