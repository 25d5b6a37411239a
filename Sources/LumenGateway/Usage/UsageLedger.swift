import Dispatch
public import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
public import LumenStore
public import Logging
import Synchronization

/// The usage ledger: every request's row, durable before its answer ends.
///
/// A row first goes to the journal (`LedgerJournal`): a journal thread of its own appends every row
/// waiting at that moment and makes them durable with one fsync (group commit), then wakes the
/// requests that wait for them. A second thread moves journaled rows into agent.db in batches and
/// runs the other SQLite writes; a lock another process holds on agent.db only delays that move.
/// Neither thread is an event loop or a Swift concurrency thread, so nothing the request path
/// awaits blocks one. When rows cannot be made durable (writes fail, or too many wait), `refusal`
/// says why and the gateway refuses new requests until writes succeed again.
public final class UsageLedger: Sendable {
    public struct Limits: Sendable {
        /// Rows waiting for the journal, or kept after a failed write, at most; more are refused.
        public var pendingRows = 10_000
        /// Rows journaled but not yet in agent.db at most (kept in memory to be moved); past it, new requests are refused.
        public var backlogRows = 100_000
        /// A journal file is closed and a new one begun past this size.
        public var journalFileBytes = 4 << 20
        /// How often journaled rows are moved to agent.db (and other SQLite work runs).
        public var storeInterval: Duration = .milliseconds(100)

        public init() {}
    }

    /// A row and whoever waits for it to be durable.
    private struct Entry {
        var seq = 0
        var record: UsageRecord
        var receipt: Receipt?
    }

    private struct Intake {
        var entries: [Entry] = []
        /// Rows a failed write kept, counted against `pendingRows`.
        var retained = 0
        var closing = false
    }

    private struct Journaled: Sendable {
        var seq: Int
        var record: UsageRecord
    }

    private struct Problems {
        var journal: String?
        var queue: String?
        var backlog: String?
    }

    private let store: AgentStore
    private let home: String
    private let logger: Logger
    private let limits: Limits
    private let intake = Mutex(Intake())
    private let journalWake = DispatchSemaphore(value: 0)
    private let storeWake = DispatchSemaphore(value: 0)
    /// Journaled rows not yet in agent.db, in sequence order.
    private let backlog = Mutex<[Journaled]>([])
    /// The last journal record agent.db holds.
    private let storedSeq: Atomic<Int>
    private let problems = Mutex(Problems())
    private let hasProblem = Atomic<Bool>(false)
    private let periodic = Mutex<[@Sendable () -> Void]>([])
    private let reader = DedicatedThread(name: "lumen-ledger-reads", capacity: 64)
    private let stopped = Mutex<(journal: Bool, store: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, false, []))

    /// Replays what a crash left in the journal into agent.db, then starts the ledger's threads.
    /// Throws when the journal cannot be replayed or opened: serving then would lose billing data.
    public init(store: AgentStore, home: String, logger: Logger, limits: Limits = Limits()) throws {
        self.store = store
        self.home = home
        self.logger = logger
        self.limits = limits
        // A file-size limit (ulimit -f) must fail the ledger's writes with EFBIG, which it reports, not kill the agent.
        signal(SIGXFSZ, SIG_IGN)
        let directory = LedgerJournal.directory(home: home)
        let found = LedgerJournal.read(directory)
        var stored: Int
        do {
            stored = try store.journalSeq()
            let fresh = found.records.filter { $0.key > stored }.sorted { $0.key < $1.key }
            if let last = fresh.last?.key {
                try store.appendUsage(fresh.map(\.value), journalSeq: last)
                logger.notice("replayed the usage journal into agent.db", metadata: ["rows": "\(fresh.count)"])
                stored = last
            }
        } catch {
            throw LedgerError("the usage journal in \(directory) could not be replayed into \(store.path): \(error); "
                              + "free the disk or the lock on agent.db and start again")
        }
        if found.unreadable > 0 {
            logger.warning("skipped unreadable usage journal lines (an append cut short by a crash, never acknowledged)",
                           metadata: ["lines": "\(found.unreadable)"])
        }
        let nextSeq = max(stored, found.records.keys.max() ?? 0) + 1
        // Every replayed row is in agent.db now. The old files go before the new journal opens:
        // an empty one left by the last run can have the very name the new journal takes.
        for file in LedgerJournal.files(in: directory) { try? FileManager.default.removeItem(atPath: file) }
        let journal: LedgerJournal
        do {
            journal = try LedgerJournal(directory: directory, nextSeq: nextSeq)
        } catch {
            throw LedgerError("the usage journal cannot be written: \(error); check the disk at \(home)")
        }
        storedSeq = Atomic(stored)
        start("lumen-ledger-journal") { [self] in journalLoop(journal, nextSeq: nextSeq) }
        start("lumen-ledger-store") { [self] in storeLoop() }
    }

    private func start(_ name: String, _ body: @escaping @Sendable () -> Void) {
        let thread = Thread(block: body)
        thread.name = name
        thread.start()
    }

    /// Why the ledger cannot take rows now, for the 503 that refuses new requests; nil when it can.
    public var refusal: String? {
        guard hasProblem.load(ordering: .relaxed) else { return nil }
        return problems.withLock { $0.journal ?? $0.queue ?? $0.backlog }
    }

    /// The home whose disk holds the ledger, for messages.
    public var location: String { home }

    /// Whether one row has been made durable; the request that wrote it awaits it before its answer ends.
    public final class Receipt: Sendable {
        private let state = Mutex<(durable: Bool?, waiter: CheckedContinuation<Bool, Never>?)>((nil, nil))

        init(durable: Bool? = nil) {
            state.withLock { $0.durable = durable }
        }

        func complete(_ durable: Bool) {
            let waiter = state.withLock { state -> CheckedContinuation<Bool, Never>? in
                state.durable = durable
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume(returning: durable)
        }

        /// Returns once the row is on disk (true), or could not be put there (false: the ledger keeps
        /// it and tries again, and refuses new requests meanwhile).
        public func durable() async -> Bool {
            if let known = state.withLock({ $0.durable }) { return known }
            return await withCheckedContinuation { waiter in
                let known = state.withLock { state -> Bool? in
                    if let known = state.durable { return known }
                    state.waiter = waiter
                    return nil
                }
                if let known { waiter.resume(returning: known) }
            }
        }
    }

    /// Appends a row; the receipt says when it is durable.
    @discardableResult
    public func append(_ record: UsageRecord) -> Receipt {
        let receipt = Receipt()
        if !enqueue(Entry(record: record, receipt: receipt)) { receipt.complete(false) }
        return receipt
    }

    private func enqueue(_ entry: Entry) -> Bool {
        let accepted = intake.withLock { intake -> Bool in
            guard !intake.closing, intake.entries.count + intake.retained < limits.pendingRows else { return false }
            intake.entries.append(entry)
            return true
        }
        if accepted {
            journalWake.signal()
        } else {
            setProblem(\.queue, "\(limits.pendingRows) rows are waiting to be written")
            // The row is lost to the ledger; the log keeps it.
            logger.error("usage ledger full; row not recorded", metadata: [
                "request_id": "\(entry.record.requestID)", "key": "\(entry.record.keyName ?? "-")", "route": "\(entry.record.route ?? "-")",
                "model": "\(entry.record.model ?? "-")", "tokens_in": "\(entry.record.promptTokens)",
                "tokens_out": "\(entry.record.completionTokens)", "cost": "\(entry.record.cost)",
            ])
        }
        return accepted
    }

    private func setProblem(_ field: WritableKeyPath<Problems, String?>, _ text: String?) {
        let any = problems.withLock { problems -> Bool in
            problems[keyPath: field] = text
            return problems.journal != nil || problems.queue != nil || problems.backlog != nil
        }
        hasProblem.store(any, ordering: .relaxed)
    }

    /// Runs `work` on the ledger's SQLite thread every `storeInterval` (and once more at close).
    public func addPeriodic(_ work: @escaping @Sendable () -> Void) {
        periodic.withLock { $0.append(work) }
    }

    // MARK: The journal thread

    private func journalLoop(_ journal: LedgerJournal, nextSeq first: Int) {
        var nextSeq = first
        var kept: [Entry] = []
        while true {
            // After a failed write, try again every half second: the disk may have recovered.
            if kept.isEmpty { journalWake.wait() } else { _ = journalWake.wait(timeout: .now() + 0.5) }
            let (taken, closing) = intake.withLock { intake -> ([Entry], Bool) in
                defer { intake.entries.removeAll(keepingCapacity: true) }
                return (intake.entries, intake.closing)
            }
            var batch = kept
            for var entry in taken {
                entry.seq = nextSeq
                nextSeq += 1
                batch.append(entry)
            }
            if !batch.isEmpty {
                var lines: [UInt8] = []
                lines.reserveCapacity(batch.count * 400)
                for entry in batch { LedgerJournal.encode(seq: entry.seq, row: entry.record, into: &lines) }
                do {
                    try journal.append(lines, lastSeq: nextSeq - 1)
                    if !kept.isEmpty { logger.notice("usage ledger writes succeed again", metadata: ["rows": "\(kept.count)"]) }
                    kept = []
                    intake.withLock { $0.retained = 0 }
                    if problems.withLock({ $0.journal != nil || $0.queue != nil }) {
                        setProblem(\.journal, nil)
                        setProblem(\.queue, nil)
                    }
                    backlog.withLock { backlog in
                        for entry in batch { backlog.append(Journaled(seq: entry.seq, record: entry.record)) }
                    }
                    for entry in batch { entry.receipt?.complete(true) }
                } catch {
                    if kept.isEmpty { logger.error("usage ledger write failed; new requests are refused until it succeeds", metadata: ["error": "\(error)"]) }
                    setProblem(\.journal, "\(error)")
                    // The answers go out; their rows stay here and are written once the disk takes them.
                    kept = batch.map { entry in
                        entry.receipt?.complete(false)
                        return Entry(seq: entry.seq, record: entry.record, receipt: nil)
                    }
                    intake.withLock { $0.retained = kept.count }
                }
            }
            if kept.isEmpty {
                do {
                    try journal.rotate(ifLargerThan: limits.journalFileBytes, nextSeq: nextSeq)
                } catch {
                    logger.error("cannot start a new usage journal file; keeping the current one", metadata: ["error": "\(error)"])
                }
                journal.removeStored(upTo: storedSeq.load(ordering: .relaxed))
            }
            if closing && taken.isEmpty {
                if !kept.isEmpty { logger.error("usage rows could not be written before shutdown", metadata: ["rows": "\(kept.count)"]) }
                markStopped(journal: true)
                storeWake.signal()
                return
            }
        }
    }

    // MARK: The SQLite thread

    private func storeLoop() {
        var failing = false
        while true {
            _ = storeWake.wait(timeout: .now() + limits.storeInterval.milliseconds / 1000)
            let journalDone = stopped.withLock { $0.journal }
            for work in periodic.withLock({ $0 }) { work() }
            let batch = backlog.withLock { Array($0.prefix(5_000)) }
            if let last = batch.last?.seq {
                do {
                    try store.appendUsage(batch.map(\.record), journalSeq: last)
                    storedSeq.store(last, ordering: .relaxed)
                    let left = backlog.withLock { backlog -> Int in
                        backlog.removeFirst(batch.count)
                        return backlog.count
                    }
                    if failing { logger.notice("usage rows reach agent.db again") }
                    failing = false
                    if left < limits.backlogRows { setProblem(\.backlog, nil) }
                    if left > 0 { storeWake.signal() }
                } catch {
                    // Journaled, so durable: only memory is at stake while agent.db cannot be written.
                    if !failing { logger.error("usage rows cannot reach agent.db yet; they are safe in the journal", metadata: ["error": "\(error)"]) }
                    failing = true
                    let waiting = backlog.withLock { $0.count }
                    if waiting >= limits.backlogRows {
                        setProblem(\.backlog, "\(waiting) journaled rows cannot be moved into \(store.path) (\(error))")
                    }
                    if journalDone {
                        markStopped(store: true)
                        return
                    }
                    Thread.sleep(forTimeInterval: 1)
                }
                continue
            }
            if journalDone {
                markStopped(store: true)
                return
            }
        }
    }

    private func markStopped(journal: Bool = false, store: Bool = false) {
        let waiters = stopped.withLock { stopped -> [CheckedContinuation<Void, Never>] in
            if journal { stopped.journal = true }
            if store { stopped.store = true }
            guard stopped.journal && stopped.store else { return [] }
            defer { stopped.waiters = [] }
            return stopped.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Writes everything taken so far to the journal and agent.db, then stops the ledger's threads.
    public func close() async {
        intake.withLock { $0.closing = true }
        journalWake.signal()
        await withCheckedContinuation { (waiter: CheckedContinuation<Void, Never>) in
            let done = stopped.withLock { stopped -> Bool in
                if stopped.journal && stopped.store { return true }
                stopped.waiters.append(waiter)
                return false
            }
            if done { waiter.resume() }
        }
        reader.stop()
    }

    // MARK: Reading

    /// Rows that started in [`since`, `until`), oldest first, at most `limit`: agent.db's and those
    /// still on their way there. Read on a thread of its own.
    public func usage(since: String?, until: String?, limit: Int) async throws -> [UsageRecord] {
        try await reader.run { [self] in
            // The backlog first: a row that moves to agent.db meanwhile is then found there, and skipped here.
            let moving = backlog.withLock { $0 }
            let (rows, seq) = try store.usageWithJournalSeq(since: since, until: until, limit: limit)
            let lower = since ?? "", upper = until ?? "~"
            let extra = moving.filter { $0.seq > seq && $0.record.at >= lower && $0.record.at < upper }.map(\.record)
            return Array((rows + extra).prefix(limit))
        }
    }
}

/// The ledger cannot start; the message says what to do.
public struct LedgerError: Error, CustomStringConvertible {
    public var description: String

    init(_ description: String) {
        self.description = description
    }
}
