import Foundation
import Glibc
import LumenTestSupport
import Testing

/// `lumenctl top` in a real terminal (tmux) against a real agent, looked at as a person would:
/// the frame shows the fleet, a key or Ctrl-C quits, and the shell gets its terminal back.
@Suite(.serialized) struct TopTests {
    @Test func topShowsTheFleetAndQQuitsCleanly() async throws {
        try await withTemporaryDirectoryAsync { dir in
            let cluster = try await Self.servingCluster(dir)
            defer { cluster.stop() }
            let pane = try TmuxPane(dir: dir, name: "top-q", environment: cluster.environment)
            defer { pane.kill() }

            let frame = try await pane.waitForScreen { screen in
                screen.contains { $0.contains("local") && $0.contains("sim-top") && $0.contains("healthy") }
                    && screen.contains { $0.contains("nodes 1/1 up · 0.05 req/s") }
            }
            #expect(frame.contains("NODES") && frame.contains("MODELS / REPLICAS") && frame.contains("PROVIDERS"), "\(frame)")
            #expect(frame.split(separator: "\n").contains { $0.hasPrefix("local") && $0.contains(" up ") }, "\(frame)")
            #expect(!frame.contains(" $0/h"), "three priced requests cost something: \(frame)")
            print("lumenctl top under tmux (160x48):\n\(frame)")

            pane.sendKeys("q")
            let after = try await pane.waitForScreen { $0.contains { $0.hasPrefix("top exited") } }
            try pane.expectRestored(after)
        }
    }

    @Test func ctrlCQuitsCleanly() async throws {
        try await withTemporaryDirectoryAsync { dir in
            let cluster = try await Self.servingCluster(dir)
            defer { cluster.stop() }
            let pane = try TmuxPane(dir: dir, name: "top-c", environment: cluster.environment)
            defer { pane.kill() }

            _ = try await pane.waitForScreen { screen in
                screen.contains { $0.contains("local") && $0.contains("sim-top") && $0.contains("healthy") }
            }
            pane.sendKeys("C-c")
            let after = try await pane.waitForScreen { $0.contains { $0.hasPrefix("top exited") } }
            try pane.expectRestored(after)
        }
    }

    /// A simulator behind an agent, a model and three answered requests in the ledger.
    static func servingCluster(_ dir: String) async throws -> LiveCluster {
        let cluster = LiveCluster(dir: dir)
        do {
            let endpoint = try cluster.startSimulator(["--ttft", "1ms", "--itl", "0ms"])
            try cluster.startAgent(extra: ["--probe-interval", "0"])
            let applied = try cluster.apply("\(cluster.node)\n---\n\(LiveCluster.model("sim-top", [endpoint]))")
            #expect(applied.exitCode == 0, "\(applied)")
            let key = try cluster.createKey("top")
            for _ in 0..<3 {
                let answer = try await send(chatRequest(port: cluster.publicPort, key: key,
                                                        body: #"{"model":"sim-top","messages":[{"role":"user","content":"hi"}]}"#))
                #expect(answer.status == 200, "\(answer.body)")
            }
        } catch {
            cluster.stop()
            throw error
        }
        return cluster
    }
}

/// `lumenctl top` in a detached tmux session on a server of its own (a socket in the test's
/// folder), run by a bash script that reports top's exit status and whether the terminal mode
/// came back unchanged.
final class TmuxPane: @unchecked Sendable {
    let socket: String
    let name: String

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    init(dir: String, name: String, environment: [String: String]) throws {
        socket = dir + "/tmux-\(name).sock"
        self.name = name
        let exports = environment.filter { $0.key != "NO_COLOR" }.sorted { $0.key < $1.key }
            .map { "export \($0.key)='\($0.value)'" }.joined(separator: "\n")
        let script = try writeFile(dir, "\(name).sh", """
            #!/bin/bash
            \(exports)
            unset NO_COLOR
            before=$(stty -g)
            '\(lumenctlExecutable)' top --interval 500ms
            status=$?
            if [ "$(stty -g)" = "$before" ]; then echo "terminal mode restored"; else echo "terminal mode changed"; fi
            echo "top exited $status"
            # The pane stays alive, so tmux neither marks it dead nor hides its cursor.
            exec sleep 600
            """)
        // Should the script end early, the pane stays so its last screen can be read.
        let config = try writeFile(dir, "tmux-\(name).conf", "set -g remain-on-exit on\n")
        let started = Self.tmux(["-S", socket, "-f", config, "new-session", "-d", "-s", name, "-x", "160", "-y", "48", "bash", script])
        guard started.status == 0 else { throw Failure(description: "tmux new-session failed: \(started.output)") }
    }

    /// The visible screen, one string per row.
    func capture() -> [String] {
        Self.tmux(["-S", socket, "capture-pane", "-p", "-t", name]).output
            .split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    }

    func sendKeys(_ keys: String) {
        _ = Self.tmux(["-S", socket, "send-keys", "-t", name, keys])
    }

    /// A tmux format of the pane, e.g. `#{alternate_on}`.
    func display(_ format: String) -> String {
        Self.tmux(["-S", socket, "display-message", "-p", "-t", name, format]).output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Polls the screen until `condition` holds; a bound, not a timing expectation.
    func waitForScreen(_ condition: ([String]) -> Bool) async throws -> String {
        var screen: [String] = []
        for _ in 0..<300 {
            screen = capture()
            if condition(screen) { return screen.joined(separator: "\n") }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw Failure(description: "the screen never showed what was expected; last screen:\n\(screen.joined(separator: "\n"))")
    }

    /// top exited 0, the shell's screen is back with no trace of the frame, the cursor shows and
    /// the terminal mode is as it was.
    func expectRestored(_ screen: String) throws {
        #expect(screen.contains("top exited 0"), "\(screen)")
        #expect(screen.contains("terminal mode restored"), "\(screen)")
        #expect(!screen.contains("MODELS / REPLICAS"), "the alternate screen is gone: \(screen)")
        #expect(display("#{alternate_on} #{cursor_flag}") == "0 1", "main screen, cursor shown")
    }

    func kill() {
        _ = Self.tmux(["-S", socket, "kill-server"])
    }

    /// Spawned and reaped by hand, output through a file: `new-session` leaves a server behind
    /// that inherits what the client had open, so neither a pipe's end nor Foundation's watch on
    /// the child (which waits for inherited descriptors to close) would ever finish.
    private static func tmux(_ arguments: [String]) -> (status: Int32, output: String) {
        let outputPath = FileManager.default.temporaryDirectory.appendingPathComponent("tmux-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: outputPath) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        // The server inherits the spawning thread's signal mask; a test's worker thread blocks
        // SIGTERM, which `kill-server` sends the server, so the server would never go.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signalNumber in [SIGTERM, SIGINT, SIGHUP] { sigaddset(&defaults, signalNumber) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        let argv = (["tmux"] + arguments).map { strdup($0) } + [nil]
        defer { for argument in argv { free(argument) } }
        var pid: pid_t = 0
        let spawned = posix_spawnp(&pid, "tmux", &actions, &attributes, argv, environ)
        guard spawned == 0 else { return (-1, "cannot run tmux (\(String(cString: strerror(spawned)))); install it with scripts/bootstrap.sh") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let output = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        // Exited normally: the exit code; killed: the signal, negated.
        return (status & 0x7f == 0 ? (status >> 8) & 0xff : -(status & 0x7f), output)
    }
}
