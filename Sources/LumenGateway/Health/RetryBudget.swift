import Synchronization

/// Caps retries at a share of the requests in flight (never below a small floor), so that a
/// failing upstream cannot multiply the load on the others.
final class RetryBudget: Sendable {
    private let counts = Mutex<(requests: Int, retries: Int, window: ContinuousClock.Instant)>((0, 0, .now))
    let share: Double
    let floor: Int

    init(share: Double = 0.2, floor: Int = 3) {
        self.share = share
        self.floor = floor
    }

    func requestStarted() {
        counts.withLock { $0.requests += 1 }
    }

    func requestEnded() {
        counts.withLock { $0.requests -= 1 }
    }

    /// Takes one retry if the budget allows: at most `share` of the requests in flight, counted
    /// per second.
    func spend() -> Bool {
        counts.withLock { counts in
            let now = ContinuousClock.now
            if now - counts.window > .seconds(1) {
                counts.window = now
                counts.retries = 0
            }
            guard counts.retries < max(floor, Int(Double(counts.requests) * share)) else { return false }
            counts.retries += 1
            return true
        }
    }
}
