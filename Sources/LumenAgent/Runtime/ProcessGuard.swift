#if os(Linux)
import CLumenProcess
// Swift sees timespec as declared by CDispatch (its headers define it first), so member visibility wants that import.
import CDispatch
import Glibc
#else
import Foundation
#endif

/// `lumen-agent __guard`: the small process between the agent and a worker.
///
/// The agent never spawns a worker directly. It spawns this guard (the agent's own binary):
///
///     lumen-agent __guard --parent AGENT_PID --grace-ms N -- /bin/sh -c COMMAND
///
/// and the guard runs the command as the leader of a new process group, so that a shell line and
/// whatever it starts can be stopped together. The guard stops that group when:
/// - it gets SIGTERM, SIGINT or SIGHUP: SIGTERM to the group, SIGKILL after the grace;
/// - it gets SIGUSR1: SIGKILL to the group at once (the agent's hard stop);
/// - the agent is gone, even SIGKILLed (a parent-death signal, and a poll of `getppid()`):
///   as for SIGTERM;
/// - the worker exits: SIGKILL to what is left of its group, then the guard exits with the
///   worker's code (128 + signal if it was killed by one).
///
/// A process that leaves the group on purpose (`setsid`, a daemonizing fork) escapes it.
/// The arguments are parsed by hand so that this internal command stays out of `--help`,
/// the completions and the man pages.
public enum ProcessGuard {
    /// The first argument that selects the guard.
    static let command = "__guard"

    /// Runs the guard and exits when `lumen-agent __guard …` was asked for; otherwise returns at once.
    /// Call it first thing in `main`, before any thread starts: the guard relies on being single-threaded.
    public static func runIfRequested() {
        let arguments = CommandLine.arguments
        guard arguments.count > 1, arguments[1] == command else { return }
        #if os(Linux)
        let options: Options
        switch Options.parse(Array(arguments.dropFirst(2))) {
        case .success(let parsed): options = parsed
        case .failure(let problem):
            GuardRun.say("\(problem.message)\nusage: lumen-agent __guard --parent PID --grace-ms N -- PROGRAM [ARGUMENT...] (started by the agent, not by hand)")
            exit(2)
        }
        GuardRun(options: options).run()
        #else
        let message = "lumen-agent guard: worker supervision needs Linux (prctl, sigtimedwait); run the agent on Linux to supervise workers.\n"
        FileHandle.standardError.write(Data(message.utf8))
        exit(2)
        #endif
    }

    /// What the guard was told: whom to watch, how long to wait, what to run.
    struct Options: Equatable {
        var parent: Int32
        var graceMilliseconds: Int
        var program: [String]

        struct Problem: Error {
            let message: String
        }

        /// Parses `--parent PID --grace-ms N -- PROGRAM [ARGUMENT...]` (options in any order).
        static func parse(_ arguments: [String]) -> Result<Options, Problem> {
            var parent: Int32?
            var grace: Int?
            var rest = arguments[...]
            while let argument = rest.first, argument != "--" {
                rest = rest.dropFirst()
                guard let value = rest.first else {
                    return .failure(Problem(message: "lumen-agent guard: \(argument) needs a value."))
                }
                rest = rest.dropFirst()
                switch argument {
                case "--parent":
                    guard let pid = Int32(value), pid > 0 else {
                        return .failure(Problem(message: "lumen-agent guard: --parent takes the agent's pid, not \(value)."))
                    }
                    parent = pid
                case "--grace-ms":
                    guard let milliseconds = Int(value), milliseconds >= 0 else {
                        return .failure(Problem(message: "lumen-agent guard: --grace-ms takes milliseconds (0 or more), not \(value)."))
                    }
                    grace = milliseconds
                default:
                    return .failure(Problem(message: "lumen-agent guard: unknown option \(argument)."))
                }
            }
            guard let parent, let grace else {
                return .failure(Problem(message: "lumen-agent guard: --parent and --grace-ms are required."))
            }
            let program = Array(rest.dropFirst())
            guard rest.first == "--", !program.isEmpty else {
                return .failure(Problem(message: "lumen-agent guard: give the program to run after --."))
            }
            return .success(Options(parent: parent, graceMilliseconds: grace, program: program))
        }
    }
}

#if os(Linux)
/// One run of the guard: single-threaded, every signal it cares about blocked and taken with sigtimedwait.
private struct GuardRun {
    let options: Options
    typealias Options = ProcessGuard.Options

    /// Stop requests. SIGUSR1 is the hard stop; SIGUSR2 is the parent-death signal (see `run`).
    static let stopSignals = [SIGTERM, SIGINT, SIGHUP]
    static let handled = stopSignals + [SIGCHLD, SIGUSR1, SIGUSR2]
    /// Reset to default in the worker, whatever the agent ignored (lifecycle code ignores SIGTERM and SIGINT).
    static let defaulted = handled + [SIGPIPE, SIGQUIT]

    /// The most the guard sleeps before looking at its parent again.
    static let pollMilliseconds = 500

    /// Writes one line to stderr, which the agent points at the replica's log.
    static func say(_ line: String) {
        let text = line.hasSuffix("\n") ? line : line + "\n"
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { Glibc.write(2, $0.baseAddress, $0.count) }
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else { return }
            bytes = bytes.dropFirst(written)
        }
    }

    static func signalSet(_ signals: [Int32]) -> sigset_t {
        var set = sigset_t()
        sigemptyset(&set)
        for signal in signals { sigaddset(&set, signal) }
        return set
    }

    func run() -> Never {
        // The kernel's parent-death signal fires when the *thread* that spawned us exits, not only
        // the agent, so it gets a signal of its own (SIGUSR2) that only makes us check getppid().
        if lumen_set_parent_death_signal(SIGUSR2) != 0 {
            Self.say("lumen-agent guard: could not ask for a parent-death signal (errno \(errno)); relying on polling the agent every \(Self.pollMilliseconds) ms")
        }
        // An inherited SIG_IGN for SIGCHLD would reap the worker behind our back.
        for signal in Self.handled { Glibc.signal(signal, SIG_DFL) }
        var blocked = Self.signalSet(Self.handled)
        sigprocmask(SIG_BLOCK, &blocked, nil)
        closeInheritedDescriptors()
        if getppid() != options.parent {
            Self.say("lumen-agent guard: the agent (pid \(options.parent)) is gone before the worker started; not starting it")
            exit(143)
        }
        let worker = spawnWorker()
        var watch = Watch(worker: worker)
        while true {
            let signal = watch.wait(milliseconds: Self.pollMilliseconds, blocked: &blocked)
            if getppid() != options.parent {
                Self.say("lumen-agent guard: the agent (pid \(options.parent)) is gone; stopping the worker group \(worker)")
                watch.terminate(grace: options.graceMilliseconds, blocked: &blocked)
            }
            // Reaped on every wake, not only on SIGCHLD: a missed signal must not leave us waiting forever.
            if let status = watch.reap() {
                killGroup(worker, SIGKILL)
                Self.say("lumen-agent guard: the worker (pid \(worker)) ended (\(status.text)); stopped what was left of its group")
                exit(status.exitCode)
            }
            switch signal {
            case SIGUSR1:
                Self.say("lumen-agent guard: asked to kill the worker group \(worker) now")
                watch.killNow()
            case let signal where Self.stopSignals.contains(signal):
                Self.say("lumen-agent guard: got signal \(signal); stopping the worker group \(worker) (SIGKILL after \(options.graceMilliseconds) ms)")
                watch.terminate(grace: options.graceMilliseconds, blocked: &blocked)
            default:
                break  // A timeout, SIGCHLD or SIGUSR2: handled above.
            }
        }
    }

    /// Descriptors the agent let slip (a listening socket, say) must not reach the worker.
    private func closeInheritedDescriptors() {
        guard let directory = opendir("/proc/self/fd") else { return }
        var open: [Int32] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if let descriptor = Int32(name), descriptor > 2, descriptor != dirfd(directory) { open.append(descriptor) }
        }
        closedir(directory)
        for descriptor in open { close(descriptor) }
    }

    /// Starts the program as the leader of a new process group, with default signal handling.
    private func spawnWorker() -> pid_t {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        posix_spawnattr_setpgroup(&attributes, 0)
        var empty = Self.signalSet([])
        posix_spawnattr_setsigmask(&attributes, &empty)
        var defaulted = Self.signalSet(Self.defaulted)
        posix_spawnattr_setsigdefault(&attributes, &defaulted)

        let argv = options.program.map { strdup($0) } + [nil]
        defer { for argument in argv { free(argument) } }
        var pid: pid_t = 0
        let result = posix_spawnp(&pid, options.program[0], nil, &attributes, argv, environ)
        guard result == 0 else {
            Self.say("lumen-agent guard: could not start \(options.program[0]): \(String(cString: strerror(result))); check that it exists and is executable")
            exit(127)
        }
        Self.say("lumen-agent guard: started the worker (pid \(pid), its own process group) for the agent (pid \(options.parent))")
        return pid
    }
}

/// Signals a whole process group; a group that is already gone is not an error.
private func killGroup(_ group: pid_t, _ signal: Int32) {
    if kill(-group, signal) != 0 && errno != ESRCH {
        GuardRun.say("lumen-agent guard: could not send signal \(signal) to the worker group \(group) (errno \(errno))")
    }
}

/// How the worker ended, as a wait status.
private struct WorkerStatus {
    let raw: Int32

    var signal: Int32? { raw & 0x7f == 0 ? nil : raw & 0x7f }
    var exitCode: Int32 { signal.map { 128 + $0 } ?? (raw >> 8) & 0xff }
    var text: String { signal.map { "killed by signal \($0)" } ?? "exit \(exitCode)" }
}

/// The worker and its group, seen from the guard.
private struct Watch {
    let worker: pid_t
    var status: WorkerStatus?

    init(worker: pid_t) {
        self.worker = worker
    }

    /// The next handled signal, or 0 after `milliseconds` with none.
    func wait(milliseconds: Int, blocked: inout sigset_t) -> Int32 {
        var timeout = timespec()
        timeout.tv_sec = milliseconds / 1000
        timeout.tv_nsec = (milliseconds % 1000) * 1_000_000
        var info = siginfo_t()
        let signal = sigtimedwait(&blocked, &info, &timeout)
        return signal > 0 ? signal : 0
    }

    /// Reaps the worker if it has ended; its status from then on.
    mutating func reap() -> WorkerStatus? {
        if status == nil, let raw = WorkerProcess.reap(worker) { status = WorkerStatus(raw: raw) }
        return status
    }

    /// True once no process is left in the group; the worker must be reaped first, as a zombie still counts.
    mutating func groupIsGone() -> Bool {
        _ = reap()
        return status != nil && kill(-worker, 0) != 0 && errno == ESRCH
    }

    /// SIGTERM to the group, SIGKILL once `grace` has passed (or on SIGUSR1); then exits.
    mutating func terminate(grace: Int, blocked: inout sigset_t) -> Never {
        killGroup(worker, SIGTERM)
        let deadline = ContinuousClock.now + .milliseconds(grace)
        while !groupIsGone() {
            let left = deadline - ContinuousClock.now
            guard left > .zero else {
                GuardRun.say("lumen-agent guard: the worker group \(worker) outlived its \(grace) ms grace; sending SIGKILL")
                killNow()
            }
            let (seconds, attoseconds) = left.components
            let milliseconds = min(100, Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000) + 1)
            if wait(milliseconds: milliseconds, blocked: &blocked) == SIGUSR1 {
                GuardRun.say("lumen-agent guard: asked to kill the worker group \(worker) now")
                killNow()
            }
        }
        finish()
    }

    /// SIGKILL to the group, reap the worker, exit.
    mutating func killNow() -> Never {
        killGroup(worker, SIGKILL)
        // SIGKILL cannot be refused: the worker ends at once, unless stuck in the kernel (D state).
        while reap() == nil {
            var raw: Int32 = 0
            if waitpid(worker, &raw, 0) == worker { status = WorkerStatus(raw: raw) } else if errno != EINTR { break }
        }
        finish()
    }

    private func finish() -> Never {
        guard let status else {
            GuardRun.say("lumen-agent guard: the worker group \(worker) is stopped")
            exit(143)
        }
        GuardRun.say("lumen-agent guard: the worker group \(worker) is stopped (the worker: \(status.text))")
        exit(status.exitCode)
    }
}
#endif
