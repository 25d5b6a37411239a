/// Admits at most `limit` holders at once; up to `maxWaiting` more wait in order, the rest are refused.
actor ConcurrencyGate {
    private let limit: Int
    private let maxWaiting: Int
    private var active = 0
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init(limit: Int, maxWaiting: Int) {
        self.limit = limit
        self.maxWaiting = maxWaiting
    }

    /// `false` when the queue is full; the caller must not `release()` then.
    func acquire() async -> Bool {
        if active < limit {
            active += 1
            return true
        }
        guard waiting.count < maxWaiting else { return false }
        await withCheckedContinuation { waiting.append($0) }
        return true
    }

    func release() {
        if waiting.isEmpty {
            active -= 1
        } else {
            // The slot passes straight to the next waiter.
            waiting.removeFirst().resume()
        }
    }
}
