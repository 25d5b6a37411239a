import AsyncHTTPClient
import Foundation
import LumenAPI
import LumenTestSupport
import NIOCore
import NIOHTTP1
import Testing

@Suite(.serialized) struct UpTests {
    @Test func upRunsAWorkingLumenAndLeavesNothingBehind() async throws {
        try await withTemporaryDirectoryAsync { dir in
            let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            let up = ManagedProcess(lumenctlExecutable, [
                "up", "-f", root.appendingPathComponent("manifests/quickstart").path, "--home", dir + "/home",
                "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0",
            ])
            let key = try up.start(waitingFor: #"API key   (lmn_[A-Za-z0-9]+)"#)[0]
            let endpoint = up.output.compactMap { $0.firstMatch(of: /endpoint  http:\/\/127\.0\.0\.1:(\d+)\/v1/) }.first
            let port = Int(endpoint?.1 ?? "") ?? 0
            // Any thread may have started a child: read every thread's list.
            func children(of pid: Int32) -> [Int32] {
                let threads = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
                return threads.flatMap { thread in
                    ((try? String(contentsOfFile: "/proc/\(pid)/task/\(thread)/children", encoding: .utf8)) ?? "").split(separator: " ").compactMap { Int32($0) }
                }
            }
            let agents = children(of: up.process.processIdentifier)
            #expect(agents.count == 1, "lumenctl up starts the agent only; the agent starts the replicas")
            // up printed the endpoint only once the warm replicas (sim-small's and tiny-llama's on lumen-engine) were ready.
            #expect(up.output.contains { $0.contains("Replica sim-small-0 is ready") }, "\(up.output)")
            #expect(up.output.contains { $0.contains("Replica tiny-llama-0 is ready") }, "\(up.output)")
            let guards = agents.flatMap(children(of:))
            let workers = guards.flatMap(children(of:))
            #expect(guards.count == 2 && workers.count == 2, "two warm replicas: \(guards) \(workers)")
            let replicas = try LumenctlProcess(["get", "replicas"], home: dir + "/home", scratch: dir, environment: [:])
            try replicas.start()
            let listed = replicas.wait()
            #expect(listed.exitCode == 0 && listed.output.contains("sim-small-0") && listed.output.contains("ready"), "\(listed)")

            let answer = try await send(chatRequest(port: port, key: key, body: chatBody))
            #expect(answer.status == 200, "\(answer.body)")
            #expect(answer.headers.first(name: "x-lumen-model") == "sim-small")
            // The quickstart's real model, pinned: its tokens come from lumen-engine's forward pass.
            let pinned = try await send(chatRequest(port: port, key: key, body: #"{"model":"tiny-llama","max_tokens":8,"messages":[{"role":"user","content":"hello"}]}"#))
            #expect(pinned.status == 200 && pinned.headers.first(name: "x-lumen-model") == "tiny-llama", "\(pinned.body)")
            #expect(pinned.body.contains("\"completion_tokens\"") && pinned.body.contains("\"cached_tokens\""), "\(pinned.body)")

            let chat = try LumenctlProcess(["chat", "--endpoint", "http://127.0.0.1:\(port)/v1", "Tell me about gateways"],
                                           home: dir + "/home", scratch: dir, environment: ["LUMEN_API_KEY": key])
            try chat.start()
            let chatResult = chat.wait()
            #expect(chatResult.exitCode == 0, "\(chatResult)")
            #expect(chatResult.output.count > 20)
            #expect(chatResult.error.contains("TTFT") && chatResult.error.contains("model sim-small via route auto") && chatResult.error.contains("$"))

            // bench: open loop by rate, closed loop by concurrency, and a bad key reported as such.
            func bench(_ arguments: [String], key benchKey: String = key) throws -> CLIResult {
                let child = try LumenctlProcess(["bench", "--endpoint", "http://127.0.0.1:\(port)/v1", "-m", "lumen/auto"] + arguments,
                                                home: nil, scratch: dir, environment: ["LUMEN_API_KEY": benchKey])
                try child.start()
                return child.wait()
            }
            let byRate = try bench(["--rate", "50", "--requests", "40", "-o", "json"])
            #expect(byRate.exitCode == 0, "\(byRate)")
            let rateReport = try JSONValue(json: byRate.output)
            #expect(rateReport["requests"]?.intValue == 40 && rateReport["errors"]?.intValue == 0, "\(byRate.output)")
            #expect(rateReport["TTFT ms"]?["p50"]?.isNull == false && rateReport["inter-token ms"]?["p99"]?.isNull == false)
            let byConcurrency = try bench(["--concurrency", "4", "--requests", "20", "--no-stream", "-o", "json"])
            #expect(byConcurrency.exitCode == 0, "\(byConcurrency)")
            #expect(try JSONValue(json: byConcurrency.output)["completed"]?.intValue == 20)
            let table = try bench(["--concurrency", "2", "--requests", "6"])
            #expect(table.exitCode == 0 && table.output.contains("requests 6, completed 6, errors 0"), "\(table)")
            let badKey = try bench(["--requests", "3"], key: "lmn_not_a_key")
            #expect(badKey.exitCode == 1 && badKey.error.contains("no request succeeded") && badKey.error.contains("401"), "\(badKey)")
            let badRate = try bench(["--rate", "0"])
            #expect(badRate.exitCode == 64 && badRate.error.contains("--rate must be greater than 0"), "\(badRate)")

            up.stop()
            #expect(up.process.terminationStatus == 0)
            for child in agents + guards + workers {
                #expect(processGone(child), "process \(child) outlived lumenctl up")
            }
        }
    }
}
