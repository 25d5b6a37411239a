public import LumenStore
public import Logging
import Synchronization

/// Collects ledger rows and writes them in batches (one transaction per batch) off the request path.
public final class UsageLedger: Sendable {
    private let store: AgentStore
    private let pending = Mutex<[UsageRecord]>([])
    private let logger: Logger

    public init(store: AgentStore, logger: Logger) {
        self.store = store
        self.logger = logger
    }

    public func record(_ record: UsageRecord) {
        pending.withLock { $0.append(record) }
    }

    /// Writes everything collected so far.
    public func flush() {
        let batch = pending.withLock { rows -> [UsageRecord] in
            defer { rows.removeAll(keepingCapacity: true) }
            return rows
        }
        guard !batch.isEmpty else { return }
        do {
            try store.appendUsage(batch)
        } catch {
            // Keep the rows for the next attempt rather than lose billing data.
            pending.withLock { $0.insert(contentsOf: batch, at: 0) }
            logger.error("usage ledger write failed; will retry", metadata: ["rows": "\(batch.count)", "error": "\(error)"])
        }
    }
}
