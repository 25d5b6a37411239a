import Foundation
import Glibc
@testable import LumenAgent
import LumenTestSupport
import Synchronization
import Testing

/// The guard and `WorkerProcess` with real processes: exit codes, stopping a whole group, and no
/// orphaned worker when the agent is SIGKILLed.
@Suite struct WorkerProcessTests {
    static let agent = builtExecutable("lumen-agent")

    func spec(_ command: String, in dir: String, grace: Duration = .seconds(10)) -> WorkerProcess.Spec {
        WorkerProcess.Spec(command: command, logPath: dir + "/logs/replica/worker.log", grace: grace, guardExecutable: Self.agent)
    }

    /// Polls until `condition` holds; the deadline only keeps a broken build from hanging the run.
    func eventually(_ condition: () -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline {
            if condition() { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        return condition()
    }

    /// A pid written to `path` by a worker, once it is there.
    func pid(in path: String) async throws -> Int32 {
        var pid: Int32?
        _ = try await eventually {
            pid = (try? String(contentsOfFile: path, encoding: .utf8)).flatMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
            return pid != nil
        }
        return try #require(pid, "the worker never wrote its pid to \(path)")
    }

    /// True once `pid` has ended: no such process, or a zombie left for init to reap.
    static func isGone(_ pid: Int32) -> Bool {
        if kill(pid, 0) == -1 && errno == ESRCH { return true }
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return true }
        return stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).hasPrefix("Z")
    }

    @Test func exitCodeAndOutputOfAWorker() async throws {
        try await withTemporaryDirectoryAsync { dir in
            var spec = spec("echo hello $GREETING; exit 3", in: dir)
            spec.environment = ["GREETING": "world"]
            let worker = try WorkerProcess.start(spec)
            defer { worker.kill() }
            #expect(try await eventually { worker.exitStatus() != nil })
            #expect(worker.exitStatus() == .exited(3))
            #expect(worker.exitStatus()?.description == "exit 3")
            let log = try String(contentsOfFile: spec.logPath, encoding: .utf8)
            #expect(log.contains("hello world"))
            let mode = try FileManager.default.attributesOfItem(atPath: spec.logPath)[.posixPermissions] as? Int
            #expect(mode == 0o600)
        }
    }

    @Test func terminateStopsTheWorkerAndWhatItStarted() async throws {
        try await withTemporaryDirectoryAsync { dir in
            let worker = try WorkerProcess.start(spec("sleep 300 & echo $! > \(dir)/child.pid; wait", in: dir))
            defer { worker.kill() }
            let child = try await pid(in: dir + "/child.pid")
            #expect(worker.exitStatus() == nil)
            worker.terminate()
            #expect(try await eventually { worker.exitStatus() != nil && Self.isGone(child) })
            #expect(worker.exitStatus() == .exited(128 + SIGTERM))
        }
    }

    @Test func aWorkerThatIgnoresSIGTERMIsKilledAfterTheGrace() async throws {
        try await withTemporaryDirectoryAsync { dir in
            let worker = try WorkerProcess.start(spec("trap '' TERM; echo $$ > \(dir)/worker.pid; sleep 300", in: dir, grace: .seconds(1)))
            defer { worker.kill() }
            let shell = try await pid(in: dir + "/worker.pid")
            worker.terminate()
            #expect(try await eventually { worker.exitStatus() != nil && Self.isGone(shell) })
            #expect(worker.exitStatus() == .exited(128 + SIGKILL))
            let log = try String(contentsOfFile: dir + "/logs/replica/worker.log", encoding: .utf8)
            #expect(log.contains("sending SIGKILL"))
        }
    }

    @Test func killDoesNotWaitForTheGrace() async throws {
        try await withTemporaryDirectoryAsync { dir in
            // A grace longer than the polling deadline: only the hard stop can end this worker in time.
            let worker = try WorkerProcess.start(spec("trap '' TERM; sleep 300 & echo $! > \(dir)/child.pid; wait", in: dir, grace: .seconds(600)))
            defer { worker.kill() }
            let child = try await pid(in: dir + "/child.pid")
            worker.terminate()
            worker.kill()
            #expect(try await eventually { worker.exitStatus() != nil && Self.isGone(child) })
            #expect(worker.exitStatus() == .exited(128 + SIGKILL))
        }
    }

    @Test func aSIGKILLedAgentLeavesNoOrphanWorker() async throws {
        try await withTemporaryDirectoryAsync { dir in
            // The shell plays the agent: it starts the guard with itself as --parent, then is SIGKILLed.
            let script = """
                '\(Self.agent)' __guard --parent $$ --grace-ms 1000 -- /bin/sh -c "sleep 300 & echo \\$! > '\(dir)/child.pid'; wait" \
                2>> '\(dir)/guard.log' & echo $! > '\(dir)/guard.pid'; wait
                """
            let agent = Process()
            agent.executableURL = URL(fileURLWithPath: "/bin/sh")
            agent.arguments = ["-c", script]
            agent.standardInput = FileHandle.nullDevice
            try agent.run()
            let guardPID = try await pid(in: dir + "/guard.pid")
            let child = try await pid(in: dir + "/child.pid")
            defer {
                // Only if the test failed: do not leave the worker behind.
                if !Self.isGone(guardPID) { kill(guardPID, SIGUSR1) }
                if !Self.isGone(child) { kill(child, SIGKILL) }
            }
            #expect(!Self.isGone(guardPID) && !Self.isGone(child))
            kill(agent.processIdentifier, SIGKILL)
            agent.waitUntilExit()
            #expect(try await eventually { Self.isGone(guardPID) && Self.isGone(child) })
            let log = try String(contentsOfFile: dir + "/guard.log", encoding: .utf8)
            #expect(log.contains("is gone; stopping the worker group"))
        }
    }

    @Test func theSpawningThreadEndingIsNotTheAgentEnding() async throws {
        try await withTemporaryDirectoryAsync { dir in
            // The kernel sends the parent-death signal when the spawning *thread* exits; the guard must shrug it off.
            let started = Mutex<Result<WorkerProcess, WorkerProcessError>?>(nil)
            let spec = spec("sleep 300 & echo $! > \(dir)/child.pid; wait", in: dir)
            let thread = Thread { started.withLock { $0 = Result { () throws(WorkerProcessError) in try WorkerProcess.start(spec) } } }
            thread.start()
            #expect(try await eventually { started.withLock { $0 != nil } && thread.isFinished })
            let worker = try #require(try started.withLock { try $0?.get() })
            defer { worker.kill() }
            let child = try await pid(in: dir + "/child.pid")
            // Past the guard's 500 ms poll of its parent, so a wrong decision would have been made by now.
            try await Task.sleep(for: .seconds(1))
            #expect(worker.exitStatus() == nil)
            #expect(!Self.isGone(child))
            worker.terminate()
            #expect(try await eventually { worker.exitStatus() != nil && Self.isGone(child) })
        }
    }

    @Test func badGuardArgumentsExitWith2() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.agent)
        process.arguments = ["__guard", "--parent", "1", "--grace-ms", "soon", "--", "/bin/true"]
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 2)
    }

    @Test func guardArguments() {
        let parsed = try? ProcessGuard.Options.parse(["--grace-ms", "250", "--parent", "42", "--", "/bin/sh", "-c", "x --y"]).get()
        #expect(parsed == ProcessGuard.Options(parent: 42, graceMilliseconds: 250, program: ["/bin/sh", "-c", "x --y"]))
        #expect((try? ProcessGuard.Options.parse(["--parent", "42", "--grace-ms", "1", "--"]).get()) == nil)
        #expect((try? ProcessGuard.Options.parse(["--parent", "42", "--", "/bin/true"]).get()) == nil)
        #expect((try? ProcessGuard.Options.parse(["--parent", "42", "--grace-ms", "1", "--verbose", "x", "--", "/bin/true"]).get()) == nil)
    }
}
