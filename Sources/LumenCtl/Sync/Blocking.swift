import Dispatch
import Synchronization

/// Runs async work to completion from synchronous command code (commands are synchronous; the
/// HTTP client is async). The work runs on an executor of its own, not on Swift concurrency's
/// few shared threads: a caller that is itself on one of those (a test running lumenctl in
/// process) would otherwise wait for a thread it is holding, and hang once every one waits so.
func blocking<T: Sendable>(_ operation: @escaping @Sendable () async throws -> T) throws -> T {
    let result = Mutex<Result<T, any Error>?>(nil)
    let done = DispatchSemaphore(value: 0)
    Task(executorPreference: BlockingExecutor.shared) {
        let outcome: Result<T, any Error>
        do { outcome = .success(try await operation()) } catch { outcome = .failure(error) }
        result.withLock { $0 = outcome }
        done.signal()
    }
    done.wait()
    // The task stores its outcome before it signals.
    return try result.withLock { $0! }.get()
}

/// Jobs of `blocking`'s tasks (and their child tasks), run on a Dispatch queue, whose threads
/// are not Swift concurrency's.
final class BlockingExecutor: TaskExecutor {
    static let shared = BlockingExecutor()
    private let queue = DispatchQueue(label: "lumenctl.blocking", attributes: .concurrent)

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedTaskExecutor()
        queue.async { job.runSynchronously(on: executor) }
    }
}
