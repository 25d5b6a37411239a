import Foundation
import Synchronization

/// Threads for splitting one matrix product. A forward pass hands out work dozens of times per
/// token, a few microseconds each, so the workers spin while work keeps coming and sleep only
/// after a while without any; waking parked threads each time would cost more than the work.
final class WorkerPool: @unchecked Sendable {
    private static let pools = Mutex<[Int: WorkerPool]>([:])

    /// The pool for `threads` threads in all (the caller is one of them).
    static func shared(threads: Int) -> WorkerPool {
        pools.withLock { pools in
            if let pool = pools[threads] { return pool }
            let pool = WorkerPool(threads: threads)
            pools[threads] = pool
            return pool
        }
    }

    let threads: Int
    /// The job's number and its part count in one word (number << 16 | parts), so a worker never
    /// pairs one job's number with another's part count.
    private let job = Atomic<Int>(0)
    private let unfinished = Atomic<Int>(0)
    private let sleepers = NSCondition()
    /// One caller at a time: several engines in one process share a pool.
    private let turn = NSLock()
    // Written before `job` is raised, read by the workers after they see it raised.
    private var task: ((Int) -> Void)?

    private init(threads: Int) {
        self.threads = min(threads, 1 << 15)
        for index in 1..<max(1, threads) {
            let thread = Thread { [self] in work(index) }
            thread.name = "lumen-engine worker \(index)"
            thread.start()
        }
    }

    /// Calls `body(part)` for every part in `0..<parts` (at most `threads`), part 0 on the caller's
    /// thread, and returns when all are done.
    func run(parts: Int, _ body: (Int) -> Void) {
        precondition(parts <= threads, "a pool of \(threads) threads split into \(parts) parts")
        turn.lock()
        defer { turn.unlock() }
        withoutActuallyEscaping(body) { body in
            task = body
            unfinished.store(parts - 1, ordering: .relaxed)
            sleepers.lock()
            job.store(((job.load(ordering: .relaxed) >> 16) + 1) << 16 | parts, ordering: .releasing)
            sleepers.broadcast()
            sleepers.unlock()
            body(0)
            while unfinished.load(ordering: .acquiring) > 0 {}
            task = nil
        }
    }

    private func work(_ index: Int) {
        var seen = 0
        while true {
            var spins = 0
            var current = job.load(ordering: .acquiring)
            while current == seen {
                spins += 1
                // About a millisecond without work: sleep until the next.
                if spins > 1 << 20 {
                    sleepers.lock()
                    while job.load(ordering: .acquiring) == seen { sleepers.wait() }
                    sleepers.unlock()
                }
                current = job.load(ordering: .acquiring)
            }
            seen = current
            if index < current & 0xFFFF {
                perform(index)
                unfinished.subtract(1, ordering: .releasing)
            }
        }
    }

    /// Its own function, so the worker's reference to the task is gone before it reports done
    /// (`run` checks that the non-escaping body did not escape).
    @inline(never)
    private func perform(_ index: Int) {
        task?(index)
    }
}
