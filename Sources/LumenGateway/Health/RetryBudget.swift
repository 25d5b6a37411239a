import Synchronization

/// Caps retries in flight at a share of the requests in flight (never below a small floor), so a
/// failing upstream cannot multiply the load on the others (as Envoy's retry budgets do).
final class RetryBudget: Sendable {
    private let counts = Mutex<(requests: Int, retries: Int)>((0, 0))
    let share: Double
    let floor: Int

    init(share: Double = 0.2, floor: Int = 3) {
        self.share = share
        self.floor = floor
    }

    /// A request is in flight from admission to its last byte.
    func requestStarted() {
        counts.withLock { $0.requests += 1 }
    }

    func requestEnded() {
        counts.withLock { $0.requests -= 1 }
    }

    var requestsInFlight: Int { counts.withLock { $0.requests } }

    /// Takes a retry if the budget allows; give it back with `retryEnded` once it has an answer.
    func spend() -> Bool {
        counts.withLock { counts in
            guard counts.retries < max(floor, Int(Double(counts.requests) * share)) else { return false }
            counts.retries += 1
            return true
        }
    }

    func retryEnded() {
        counts.withLock { $0.retries -= 1 }
    }
}
