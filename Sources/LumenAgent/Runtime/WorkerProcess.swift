#if os(Linux)
import Foundation
import CDispatch
import Glibc
import Synchronization

/// One supervised worker: a guard process that leads the worker's process group.
///
/// The agent spawns `lumen-agent __guard` (see ``ProcessGuard``), never the worker itself, so a
/// worker and everything it starts end with the agent, even when the agent is SIGKILLed.
/// Signals go to the guard only; the pid is never signalled once the guard has been reaped.
final class WorkerProcess: Sendable {
    struct Spec: Sendable {
        /// A shell command line, run by `/bin/sh -c`.
        var command: String
        /// Set in the worker's environment (overriding the base and passed variables).
        var environment: [String: String] = [:]
        /// Names of the agent's variables the worker also gets (`deployment.passEnv`); none named `LUMEN_*`.
        var passing: [String] = []
        /// Stdout and stderr of guard and worker are appended here (created 0600 if missing, parent folders too).
        var logPath: String
        /// How long the guard waits after SIGTERM before it SIGKILLs the worker's group.
        var grace: Duration = .seconds(10)
        /// The binary run as `__guard`: the agent itself, except in tests, where this process is the test runner.
        var guardExecutable: String = WorkerProcess.agentExecutable
    }

    enum ExitStatus: Sendable, Equatable, CustomStringConvertible {
        case exited(Int32)
        case signalled(Int32)

        var description: String {
            switch self {
            case .exited(let code): "exit \(code)"
            case .signalled(let signal): "killed by signal \(signal)"
            }
        }

        /// Decodes a `waitpid` status (only exits and deaths: we never ask for stops).
        init(waitStatus raw: Int32) {
            let signal = raw & 0x7f
            self = signal == 0 ? .exited((raw >> 8) & 0xff) : .signalled(signal)
        }
    }

    /// This process's own binary, from `/proc/self/exe` (argv[0] if that cannot be read).
    static let agentExecutable: String = {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let length = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard length > 0 else { return CommandLine.arguments.first ?? "lumen-agent" }
        return String(decoding: buffer[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }()

    /// The guard's pid.
    let pid: Int32
    /// Set once the guard is reaped; read and signalled under the lock, so a reaped pid is never signalled.
    private let status = Mutex<ExitStatus?>(nil)

    private init(pid: Int32) {
        self.pid = pid
    }

    /// Starts the guard, which starts `spec.command`; stdin is /dev/null.
    static func start(_ spec: Spec) throws(WorkerProcessError) -> WorkerProcess {
        let log = try openLog(spec.logPath)
        defer { close(log) }

        let (seconds, attoseconds) = spec.grace.components
        let graceMilliseconds = max(0, seconds * 1000 + attoseconds / 1_000_000_000_000_000)
        let arguments = [spec.guardExecutable, ProcessGuard.command, "--parent", String(getpid()),
                         "--grace-ms", String(graceMilliseconds), "--", "/bin/sh", "-c", spec.command]
        let environment = workerEnvironment(agent: ProcessInfo.processInfo.environment, passing: spec.passing, setting: spec.environment)

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, log, 1)
        posix_spawn_file_actions_adddup2(&actions, log, 2)

        // The agent may ignore or block signals (its lifecycle code ignores SIGTERM and SIGINT);
        // the guard starts from defaults so those reach it.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        var defaulted = sigset_t()
        sigemptyset(&defaulted)
        for signal in [SIGTERM, SIGINT, SIGHUP, SIGCHLD, SIGUSR1, SIGUSR2, SIGPIPE, SIGQUIT] { sigaddset(&defaulted, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaulted)

        let argv = arguments.map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for pointer in argv + envp { free(pointer) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, spec.guardExecutable, &actions, &attributes, argv, envp)
        guard result == 0 else { throw .cannotStart(spec.guardExecutable, errno: result) }
        return WorkerProcess(pid: pid)
    }

    /// What a worker's environment starts from: enough for a shell and an engine to run. The rest
    /// of the agent's environment (provider keys, the cluster token) never reaches a worker.
    static let baseVariables = ["PATH", "HOME", "USER", "LOGNAME", "LANG", "LC_ALL", "TZ", "TMPDIR"]
    static let defaultPath = "/usr/local/bin:/usr/bin:/bin"

    /// A worker's whole environment: the base variables and `passing` as the agent has them, then
    /// `setting`. A worker runs someone else's code: no `LUMEN_*` variable of the agent's gets through,
    /// only those `setting` gives (`LUMEN_MODEL`, `LUMEN_PORT`…).
    static func workerEnvironment(agent: [String: String], passing: [String], setting: [String: String]) -> [String: String] {
        var environment: [String: String] = [:]
        for name in baseVariables + passing where !name.uppercased().hasPrefix("LUMEN_") {
            if let value = agent[name] { environment[name] = value }
        }
        if environment["PATH"] == nil { environment["PATH"] = defaultPath }
        environment.merge(setting) { _, new in new }
        environment["LUMEN_CLUSTER_TOKEN"] = nil
        return environment
    }

    /// Opens the log for appending, creating it (0600) and its folder if missing.
    private static func openLog(_ path: String) throws(WorkerProcessError) -> Int32 {
        let folder = (path as NSString).deletingLastPathComponent
        if !folder.isEmpty {
            do {
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            } catch {
                throw .cannotCreateLogFolder(folder, reason: error.localizedDescription)
            }
        }
        let descriptor = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw .cannotOpenLog(path, errno: errno) }
        return descriptor
    }

    /// The guard's end (the worker's code, or 128 + signal, as the guard passes it on); nil while it runs.
    func exitStatus() -> ExitStatus? {
        status.withLock { status in
            if status == nil, let raw = Self.reap(pid) { status = ExitStatus(waitStatus: raw) }
            return status
        }
    }

    /// The raw wait status of child `pid` if it has ended (reaped now); nil while it runs.
    static func reap(_ pid: pid_t) -> Int32? {
        var raw: Int32 = 0
        var result: pid_t
        repeat { result = waitpid(pid, &raw, WNOHANG) } while result < 0 && errno == EINTR
        return result == pid ? raw : nil
    }

    /// Asks the guard to stop the worker's group: SIGTERM, then SIGKILL after the spec's grace.
    func terminate() {
        signalGuard(SIGTERM)
    }

    /// The hard stop for a wedged worker: the guard SIGKILLs the whole group at once, reaps, and exits.
    ///
    /// This sends SIGUSR1 to the guard rather than SIGKILL: a SIGKILLed guard could not stop the
    /// group (the worker's group id is the worker's pid, which only the guard knows), and the
    /// worker would be orphaned. The guard answers signals at once, even mid-grace.
    func kill() {
        signalGuard(SIGUSR1)
    }

    private func signalGuard(_ signal: Int32) {
        status.withLock { status in
            if status == nil { _ = Glibc.kill(pid, signal) }
        }
    }
}

/// Why a worker could not be started.
struct WorkerProcessError: Error, CustomStringConvertible {
    private enum Code {
        case cannotCreateLogFolder(String, reason: String)
        case cannotOpenLog(String, errno: Int32)
        case cannotStart(String, errno: Int32)
    }

    private let code: Code

    static func cannotCreateLogFolder(_ folder: String, reason: String) -> Self {
        Self(code: .cannotCreateLogFolder(folder, reason: reason))
    }

    static func cannotOpenLog(_ path: String, errno: Int32) -> Self {
        Self(code: .cannotOpenLog(path, errno: errno))
    }

    static func cannotStart(_ executable: String, errno: Int32) -> Self {
        Self(code: .cannotStart(executable, errno: errno))
    }

    var description: String {
        switch code {
        case .cannotCreateLogFolder(let folder, let reason):
            "Could not create the worker log folder \(folder): \(reason). Check that the agent's user may write there, or point the log elsewhere."
        case .cannotOpenLog(let path, let errno):
            "Could not open the worker log \(path): \(String(cString: strerror(errno))). Check its permissions and the free space on its disk."
        case .cannotStart(let executable, let errno):
            "Could not start the worker's guard \(executable): \(String(cString: strerror(errno))). Check that the lumen-agent binary still exists and is executable (it is replaced during an upgrade)."
        }
    }
}
#endif
