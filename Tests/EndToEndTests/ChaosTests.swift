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

    func record(_ stream: ClientStream, expected: String) {
        counts.withLock { counts in
            counts.streams += 1
            if stream.lumen != nil { counts.failovers += 1 }
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
}

@Suite(.serialized) struct ChaosTests {
    /// 200 concurrent streams for 30 s over three replicas; one replica is killed with SIGKILL and
    /// restarted mid-run. No client sees an error, and every stream is its fault-free text.
    @Test func twoHundredStreamsSurviveAReplicaKilledAndRestarted() async throws {
        try await withTemporaryDirectoryAsync { dir in
            let seconds = Double(ProcessInfo.processInfo.environment["LUMEN_CHAOS_SECONDS"] ?? "") ?? 30
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
                apiVersion: lumen.ai/v1
                kind: Route
                metadata: {name: auto}
                spec: {candidates: [trio], strategy: pinned, failover: {stallTimeout: 2s}}
                """)
            #expect(applied.exitCode == 0, "\(applied)")
            let key = try cluster.createKey("chaos")

            // The fault-free texts, straight from a replica.
            let prompts = (0..<16).map { "chaos prompt \($0)" }
            var expected: [String] = []
            for prompt in prompts {
                expected.append(try await readStream(steady[0] + "/chat/completions", key: nil, body: FailoverTests.body(prompt)).text)
            }

            let tally = ChaosTally()
            let url = "http://127.0.0.1:\(cluster.publicPort)/v1/chat/completions"
            let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
            let expectedTexts = expected
            try await withThrowingTaskGroup(of: Void.self) { group in
                for client in 0..<200 {
                    group.addTask {
                        var turn = client
                        while ContinuousClock.now < deadline {
                            let index = turn % prompts.count
                            turn += 7
                            do {
                                let stream = try await readStream(url, key: key, body: FailoverTests.body(prompts[index], model: "lumen/auto"))
                                tally.record(stream, expected: expectedTexts[index])
                            } catch {
                                tally.failed(error)
                            }
                        }
                    }
                }
                // Kill a replica a quarter of the way in, bring it back at half way.
                try await Task.sleep(for: .milliseconds(Int(seconds * 250)))
                // Kill it while it carries streams, so that the kill breaks some.
                let victimMetrics = "http://127.0.0.1:\(victimPort)/metrics"
                for _ in 0..<100 {
                    if try await metric("lumen_simulator_streams_open", at: victimMetrics) > 0 { break }
                    try await Task.sleep(for: .milliseconds(50))
                }
                victim.crash()
                try await Task.sleep(for: .milliseconds(Int(seconds * 250)))
                victim = ManagedProcess(builtExecutable("lumen-engine"), ["serve", "--simulate", "--port", victimPort] + timing)
                _ = try victim.start(waitingFor: #"http://127\.0\.0\.1:(\d+)/v1"#)
                try await group.waitForAll()
            }
            defer { victim.stop() }
            let figures = tally.figures
            print("chaos: \(figures.streams) streams in \(Int(seconds)) s with 200 clients; \(figures.failovers) failed over; \(figures.errors.count) client-visible errors")
            #expect(figures.streams > 200 && figures.failovers > 0)
            #expect(figures.errors.isEmpty, "\(figures.errors.prefix(5))")
        }
    }
}
