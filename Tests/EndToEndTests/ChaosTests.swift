import AsyncHTTPClient
import Foundation
import LumenAPI
import LumenTestSupport
import NIOCore
import Synchronization
import Testing

/// Figures of a chaos run, shared by its client tasks.
final class ChaosTally: Sendable {
    private let counts = Mutex<(streams: Int, failovers: Int, errors: [String])>((0, 0, []))
    private let stopped = Mutex(false)
    /// Streams that left each upstream mid-answer, and streams won by a hedge.
    private let abandonedCounts = Mutex<[String: Int]>([:])

    /// Whether clients should stop sending.
    var isStopped: Bool { stopped.withLock { $0 } }
    func stop() { stopped.withLock { $0 = true } }

    func record(_ stream: ClientStream, expected: String) {
        counts.withLock { counts in
            counts.streams += 1
            if let lumen = stream.lumen {
                counts.failovers += 1
                abandonedCounts.withLock { abandoned in
                    for upstream in lumen["abandoned_upstreams"]?.arrayValue ?? [] { abandoned[upstream.stringValue ?? "", default: 0] += 1 }
                    if lumen["hedged"]?.boolValue == true { abandoned["hedged", default: 0] += 1 }
                }
            }
            if stream.status != 200 {
                counts.errors.append("HTTP \(stream.status): \(stream.answer.prefix(200))")
            } else if let error = stream.errors.first {
                counts.errors.append("error event: \(error.json(pretty: false).prefix(300))")
            } else if !stream.done || stream.text != expected || stream.ids.count != 1 || stream.roleHeaders != 1 {
                counts.errors.append("stream differs: done \(stream.done), \(stream.ids.count) ids, \(stream.roleHeaders) role headers, text \(stream.text.prefix(80))… expected \(expected.prefix(80))…")
            }
        }
    }

    func failed(_ error: any Error) {
        counts.withLock { $0.streams += 1; $0.errors.append("client error: \(error)") }
    }

    var figures: (streams: Int, failovers: Int, errors: [String]) { counts.withLock { $0 } }

    /// Streams that failed over from `upstream` (or, for "hedged", were won by a hedge).
    func abandoned(_ upstream: String) -> Int { abandonedCounts.withLock { $0[upstream] ?? 0 } }
}

@Suite(.serialized) struct ChaosTests {
    static let seconds = Double(ProcessInfo.processInfo.environment["LUMEN_CHAOS_SECONDS"] ?? "") ?? 30
    static let prompts = (0..<16).map { "chaos prompt \($0)" }

    /// The fault-free answers to `prompts`, straight from a replica.
    static func expectedTexts(from replica: String) async throws -> [String] {
        var texts: [String] = []
        for prompt in prompts {
            texts.append(try await readStream(replica + "/chat/completions", key: nil, body: FailoverTests.body(prompt)).text)
        }
        return texts
    }

    /// `clients` clients stream the prompts in turn through the agent while `meanwhile` breaks
    /// things, and for at least `seconds`.
    static func load(clients: Int, cluster: LiveCluster, key: String, expected: [String], into tally: ChaosTally,
                     meanwhile: () async throws -> Void) async throws {
        let url = "http://127.0.0.1:\(cluster.publicPort)/v1/chat/completions"
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        try await withThrowingTaskGroup(of: Void.self) { group in
            for client in 0..<clients {
                group.addTask {
                    var turn = client
                    while !tally.isStopped {
                        let index = turn % prompts.count
                        turn += 7
                        do {
                            let stream = try await readStream(url, key: key, body: FailoverTests.body(prompts[index], model: "lumen/auto"))
                            tally.record(stream, expected: expected[index])
                        } catch {
                            tally.failed(error)
                        }
                    }
                }
            }
            try await meanwhile()
            try await Task.sleep(until: deadline)
            tally.stop()
            try await group.waitForAll()
        }
    }

    static func route(_ model: String, failover: String) -> String {
        """
        apiVersion: lumen.ai/v1
        kind: Route
        metadata: {name: auto}
        spec: {candidates: [\(model)], strategy: pinned, failover: {\(failover)}}
        """
    }

    /// 200 concurrent streams for 30 s over three replicas; one replica is killed with SIGKILL and
    /// restarted mid-run. No client sees an error, and every stream is its fault-free text.
    @Test func twoHundredStreamsSurviveAReplicaKilledAndRestarted() async throws {
        try await withTemporaryDirectoryAsync { dir in
            let cluster = LiveCluster(dir: dir)
            defer { cluster.stop() }
            let timing = ["--ttft", "5ms", "--itl", "25ms", "--max-concurrency", "512"]
            let steady = [try cluster.startSimulator(timing), try cluster.startSimulator(timing)]
            var victim = ManagedProcess(builtExecutable("lumen-engine"), ["serve", "--simulate", "--port", "0"] + timing)
            let victimPort = try victim.start(waitingFor: #"http://127\.0\.0\.1:(\d+)/v1"#)[0]
            let victimURL = "http://127.0.0.1:\(victimPort)/v1"
            try cluster.startAgent(extra: ["--probe-interval", "0.5", "--probe-timeout", "2"])
            let applied = try cluster.apply("""
                \(cluster.node)
                ---
                \(LiveCluster.model("trio", [steady[0], victimURL, steady[1]]))
                ---
                \(Self.route("trio", failover: "stallTimeout: 2s"))
                """)
            #expect(applied.exitCode == 0, "\(applied)")
            let key = try cluster.createKey("chaos")
            let expected = try await Self.expectedTexts(from: steady[0])

            let tally = ChaosTally()
            try await Self.load(clients: 200, cluster: cluster, key: key, expected: expected, into: tally) {
                // Kill a replica a quarter of the way in, while it carries streams; bring it back at half way.
                try await Task.sleep(for: .milliseconds(Int(Self.seconds * 250)))
                let victimMetrics = "http://127.0.0.1:\(victimPort)/metrics"
                for _ in 0..<100 {
                    if try await metric("lumen_simulator_streams_open", at: victimMetrics) > 0 { break }
                    try await Task.sleep(for: .milliseconds(50))
                }
                victim.crash()
                try await Task.sleep(for: .milliseconds(Int(Self.seconds * 250)))
                victim = ManagedProcess(builtExecutable("lumen-engine"), ["serve", "--simulate", "--port", victimPort] + timing)
                _ = try victim.start(waitingFor: #"http://127\.0\.0\.1:(\d+)/v1"#)
            }
            defer { victim.stop() }
            let figures = tally.figures
            print("chaos: \(figures.streams) streams in \(Int(Self.seconds)) s with 200 clients; \(figures.failovers) failed over; \(figures.errors.count) client-visible errors")
            #expect(figures.streams > 200 && figures.failovers > 0)
            #expect(figures.errors.isEmpty, "\(figures.errors.prefix(5))")
        }
    }

    /// 200 concurrent streams over three good replicas and a fourth that misbehaves a different way
    /// in each phase: every fault before the first byte, every fault during the stream, and a replica
    /// that answers its health check but hangs on generation. No client sees an error, and every
    /// stream is its fault-free text.
    @Test func everyKindOfFaultUnderLoad() async throws {
        try await withTemporaryDirectoryAsync { dir in
            let cluster = LiveCluster(dir: dir)
            defer { cluster.stop() }
            let timing = ["--ttft", "5ms", "--itl", "25ms", "--max-concurrency", "512"]
            let good = [try cluster.startSimulator(timing), try cluster.startSimulator(timing), try cluster.startSimulator(timing)]
            try cluster.startAgent(extra: ["--probe-interval", "0.5", "--probe-timeout", "2"])
            let key = try cluster.createKey("chaos")
            let expected = try await Self.expectedTexts(from: good[0])

            enum Fault { case replica([String]), refused, blackholed }
            let faults: [(String, Fault)] = [
                ("HTTP 503", .replica(["--status", "503"])),
                ("HTTP 429 with retry-after", .replica(["--status", "429"])),
                ("connection refused", .refused),
                ("blackholed port", .blackholed),
                ("slow first token", .replica(["--ttft", "1500ms"])),
                ("reset after 3 tokens", .replica(["--fail-after", "3", "--fault", "reset"])),
                ("error event after 3 tokens", .replica(["--fail-after", "3", "--fault", "error"])),
                ("malformed event after 3 tokens", .replica(["--fail-after", "3", "--fault", "malformed"])),
                ("no [DONE] after 3 tokens", .replica(["--fail-after", "3", "--fault", "no-done"])),
                ("stall after 3 tokens", .replica(["--stall-after", "3"])),
                ("hangs on generation", .replica(["--stall-after", "0"])),
            ]
            func apply(_ faulty: String) throws {
                let applied = try cluster.apply("""
                    \(cluster.node)
                    ---
                    \(LiveCluster.model("quartet", good + [faulty]))
                    ---
                    \(Self.route("quartet", failover: "stallTimeout: 2s, hedgeAfter: 500ms, maxAttempts: 4"))
                    """)
                #expect(applied.exitCode == 0 && applied.error.contains("at revision"), "\(applied)")
            }
            try apply(good[0])

            var process: ManagedProcess?
            var hole: Blackhole?
            var phases: [(name: String, url: String, streams: Int, hedged: Int, requests: Int?)] = []
            // Long enough for each fault to meet live traffic, not only probes.
            let phase = max(4, Self.seconds / Double(faults.count))
            let tally = ChaosTally()
            try await Self.load(clients: 200, cluster: cluster, key: key, expected: expected, into: tally) {
                for (name, fault) in faults {
                    let before = tally.figures, hedgedBefore = tally.abandoned("hedged")
                    let url: String
                    switch fault {
                    case .replica(let arguments):
                        let next = ManagedProcess(builtExecutable("lumen-engine"), ["serve", "--simulate", "--port", "0"] + timing + arguments)
                        url = "http://127.0.0.1:\(try next.start(waitingFor: #"http://127\.0\.0\.1:(\d+)/v1"#)[0])/v1"
                        process = next
                    case .refused:
                        url = "http://127.0.0.1:\(try freePort())/v1"
                    case .blackholed:
                        let blackhole = try Blackhole()
                        url = "http://127.0.0.1:\(blackhole.port)/v1"
                        hole = blackhole
                    }
                    try apply(url)
                    try await Task.sleep(for: .milliseconds(Int(phase * 1000)))
                    var requests: Int?
                    if process != nil {
                        requests = try await metric("lumen_simulator_requests_total", at: url.replacingOccurrences(of: "/v1", with: "/metrics"))
                        process?.stop()
                        process = nil
                    }
                    withExtendedLifetime(hole) {}
                    hole = nil
                    phases.append((name, url, tally.figures.streams - before.streams, tally.abandoned("hedged") - hedgedBefore, requests))
                }
            }
            for phase in phases {
                print("chaos: \(phase.name): \(phase.streams) streams, \(tally.abandoned("endpoint/" + phase.url)) failed over from the faulty "
                      + "upstream, \(phase.hedged) hedged" + (phase.requests.map { "; the faulty replica had \($0) requests, probes included" } ?? ""))
            }
            let figures = tally.figures
            print("chaos: \(figures.streams) streams with 200 clients over \(faults.count) faults of \(Int(phase)) s each; "
                  + "\(figures.failovers) failed over or hedged; \(figures.errors.count) client-visible errors")
            #expect(figures.streams > 200 && figures.failovers > 0)
            #expect(figures.errors.isEmpty, "\(figures.errors.prefix(5))")
        }
    }
}
