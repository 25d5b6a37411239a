import Dispatch
public import Foundation
import Synchronization

/// One thread of its own that runs blocking work (SQLite calls, which can wait seconds on another
/// process's lock) in order, so that no NIO event loop or Swift concurrency thread ever blocks on
/// them. Its queue is bounded: work beyond it is refused at once rather than piled up.
public final class DedicatedThread: Sendable {
    /// The queue is full: the thread is stuck on earlier work.
    public struct Busy: Error, CustomStringConvertible {
        public var name: String
        public var capacity: Int
        public var description: String {
            "\(name) has \(capacity) jobs waiting; it is stuck on earlier work (is agent.db locked by another process?)"
        }
    }

    private struct Queue {
        var jobs: [@Sendable () -> Void] = []
        var stopped = false
    }

    public let name: String
    public let capacity: Int
    private let queue = Mutex(Queue())
    private let wake = DispatchSemaphore(value: 0)

    public init(name: String, capacity: Int = 256) {
        self.name = name
        self.capacity = capacity
        let thread = Thread { [self] in loop() }
        thread.name = name
        thread.start()
    }

    private func loop() {
        while true {
            wake.wait()
            let (jobs, stopped) = queue.withLock { queue -> ([@Sendable () -> Void], Bool) in
                defer { queue.jobs.removeAll(keepingCapacity: true) }
                return (queue.jobs, queue.stopped)
            }
            for job in jobs { job() }
            if stopped {
                if jobs.isEmpty { return }
                wake.signal()
            }
        }
    }

    /// Runs `body` on the thread and returns its result; throws `Busy` when the queue is full.
    public func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let accepted = queue.withLock { queue -> Bool in
                guard queue.jobs.count < capacity, !queue.stopped else { return false }
                queue.jobs.append { continuation.resume(with: Result { try body() }) }
                return true
            }
            if accepted {
                wake.signal()
            } else {
                continuation.resume(throwing: Busy(name: name, capacity: capacity))
            }
        }
    }

    /// Lets the thread end once the work queued so far is done.
    public func stop() {
        queue.withLock { $0.stopped = true }
        wake.signal()
    }
}
