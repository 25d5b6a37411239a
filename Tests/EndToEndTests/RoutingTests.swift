import AsyncHTTPClient
import Foundation
import LumenAPI
import LumenStore
import NIOHTTP1
import LumenTestSupport
import Testing

@Suite(.serialized) struct RoutingTests {
    static func model(_ name: String, _ endpoint: String, quality: Double, input: String, output: String, extra: String = "") -> String {
        """
        apiVersion: lumen.ai/v1
        kind: Model
        metadata: {name: \(name)}
        spec:
          deployment: {endpoints: ["\(endpoint)"]}
          pricing: {inputPerMTok: \(input), outputPerMTok: \(output)}
          quality: \(quality)
          contextWindow: 8192
          maxOutputTokens: 2048\(extra)
        """
    }

    /// lumen/auto sends an easy prompt to the cheap model and a hard one to the strong model; the
    /// score is in a header; a request no candidate can take within the price ceiling is refused.
    @Test func autoSendsEachRequestToTheCheapestModelThatClearsIt() async throws {
        try await withTemporaryDirectoryAsync { dir in
            let cluster = LiveCluster(dir: dir)
            defer { cluster.stop() }
            let simulator = try cluster.startSimulator(["--ttft", "1ms", "--itl", "0ms"])
            try cluster.startAgent(extra: ["--probe-interval", "0"])
            let applied = try cluster.apply("""
                \(cluster.node)
                ---
                \(Self.model("strong", simulator, quality: 0.95, input: "5", output: "20"))
                ---
                \(Self.model("cheap", simulator, quality: 0.4, input: "0.1", output: "0.4"))
                ---
                apiVersion: lumen.ai/v1
                kind: Route
                metadata: {name: auto}
                spec: {candidates: [strong, cheap], qualityBar: 0.2}
                ---
                apiVersion: lumen.ai/v1
                kind: Route
                metadata: {name: thrifty}
                spec: {candidates: [strong, cheap], qualityBar: 0.9, onNoCandidate: reject, budget: {maxCostPerRequest: 0.01}}
                """)
            #expect(applied.exitCode == 0, "\(applied)")
            let key = try cluster.createKey("routing")
            func ask(_ route: String, _ prompt: String, extra: String = "") async throws -> (status: Int, model: String?, score: Double?, body: String) {
                let body = #"{"model":"lumen/\#(route)","messages":[{"role":"user","content":\#(JSONValue.jsonString(prompt))}]\#(extra)}"#
                let answer = try await send(chatRequest(port: cluster.publicPort, key: key, body: body))
                return (answer.status, answer.headers.first(name: "x-lumen-model"), answer.headers.first(name: "x-lumen-score").flatMap(Double.init),
                        answer.body)
            }
            let easy = try await ask("auto", "What is the capital of France?")
            #expect(easy.status == 200 && easy.model == "cheap", "\(easy)")
            #expect((easy.score ?? 1) < 0.4, "\(easy)")
            let hard = try await ask("auto", "Prove that there are infinitely many primes, step by step, and justify each lemma. "
                + "Then implement a Python function that must list the first n primes without using any library, and analyze its complexity.")
            #expect(hard.status == 200 && hard.model == "strong", "\(hard)")
            #expect((hard.score ?? 0) > 0.4, "\(hard)")
            // The price ceiling holds against the worst case: 2048 output tokens at $20/M is $0.04.
            let refused = try await ask("thrifty", "What is the capital of France?")
            #expect(refused.status == 400 && refused.body.contains("no_qualified_model") && refused.body.contains("maxCostPerRequest"), "\(refused)")
            let bounded = try await ask("thrifty", "What is the capital of France?", extra: #","max_tokens":100"#)
            #expect(bounded.status == 200 && bounded.model == "strong", "\(bounded)")
            // A weighted split, sticky by a session header: each session stays on one side.
            let split = try cluster.apply("""
                apiVersion: lumen.ai/v1
                kind: Route
                metadata: {name: split}
                spec: {candidates: [strong, cheap], strategy: weighted, traffic: {strong: 50, cheap: 50}, stickyBy: x-session-id}
                """, name: "split.yaml")
            #expect(split.exitCode == 0, "\(split)")
            var sides: Set<String> = []
            for session in 0..<8 {
                var seen: Set<String> = []
                for _ in 0..<4 {
                    var request = chatRequest(port: cluster.publicPort, key: key, body: #"{"model":"lumen/split","messages":[{"role":"user","content":"hi"}]}"#)
                    request.headers.add(name: "x-session-id", value: "session-\(session)")
                    seen.insert(try await send(request).headers.first(name: "x-lumen-model") ?? "?")
                }
                #expect(seen.count == 1, "session \(session) saw \(seen)")
                sides.formUnion(seen)
            }
            #expect(sides == ["strong", "cheap"], "8 sessions over a 50/50 split: \(sides)")
            // A caller can still pin a model by name.
            let pinned = try await send(chatRequest(port: cluster.publicPort, key: key,
                                                    body: #"{"model":"cheap","messages":[{"role":"user","content":"Prove it."}]}"#))
            #expect(pinned.status == 200 && pinned.headers.first(name: "x-lumen-model") == "cheap" && pinned.headers.first(name: "x-lumen-score") == nil)
        }
    }

    /// 200 concurrent requests against a daily budget that admits exactly 37 worst cases: exactly 37
    /// succeed, the rest get 429 budget_exceeded, and the ledger sums to the budget. A restarted agent
    /// remembers the spend.
    @Test func concurrentRequestsNeverOverspendABudget() async throws {
        try await withTemporaryDirectoryAsync { dir in
            let cluster = LiveCluster(dir: dir)
            defer { cluster.stop() }
            let simulator = try cluster.startSimulator(["--ttft", "1ms", "--itl", "0ms"])
            try cluster.startAgent(extra: ["--probe-interval", "0"])
            // Input is free and every answer is exactly 10 tokens at $1,000/M: $0.01, its worst case too.
            let applied = try cluster.apply("""
                \(cluster.node)
                ---
                \(Self.model("metered", simulator, quality: 0.9, input: "0", output: "1000"))
                ---
                apiVersion: lumen.ai/v1
                kind: Route
                metadata: {name: capped}
                spec: {candidates: [metered], strategy: pinned, budget: {daily: 0.37}}
                """)
            #expect(applied.exitCode == 0, "\(applied)")
            let key = try cluster.createKey("race")
            let body = #"{"model":"lumen/capped","max_tokens":10,"ignore_eos":true,"messages":[{"role":"user","content":"spend"}]}"#
            let statuses = try await withThrowingTaskGroup(of: (Int, String).self) { group in
                for _ in 0..<200 {
                    group.addTask {
                        let answer = try await send(chatRequest(port: cluster.publicPort, key: key, body: body))
                        return (answer.status, answer.status == 200 ? "" : answer.body + " retry-after " + (answer.headers.first(name: "retry-after") ?? "-"))
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.filter { $0.0 == 200 }.count == 37)
            let refused = statuses.filter { $0.0 != 200 }
            #expect(refused.count == 163 && refused.allSatisfy { $0.0 == 429 && $0.1.contains("budget_exceeded") && !$0.1.hasSuffix("retry-after -") },
                    "\(refused.prefix(3))")

            // The ledger, flushed by a graceful stop, sums to the budget.
            cluster.agent?.stop()
            try cluster.startAgent(extra: ["--probe-interval", "0"])
            var usage = HTTPClientRequest(url: "http://127.0.0.1:\(cluster.adminPort)/v1/usage")
            usage.headers.add(name: "authorization", value: "Bearer \(cluster.token)")
            let ledger = try JSONDecoder().decode([UsageRecord].self, from: Data(try await send(usage).body.utf8))
            let spent = ledger.filter { $0.route == "capped" }.compactMap { Decimal(string: $0.cost) }.reduce(0, +)
            #expect(spent == Decimal(string: "0.37"), "\(spent)")
            // After the restart the budget is still spent.
            let again = try await send(chatRequest(port: cluster.publicPort, key: key, body: body))
            #expect(again.status == 429 && again.body.contains("budget_exceeded"), "\(again)")

            // A key's own budget holds on every route and on a pinned model: $0.05 is five answers.
            let thrifty = try cluster.createKey("thrifty", ["--daily-budget", "0.05"])
            let pinned = #"{"model":"metered","max_tokens":10,"ignore_eos":true,"messages":[{"role":"user","content":"spend"}]}"#
            var answered = 0, last = (status: 0, body: "")
            for _ in 0..<7 {
                let answer = try await send(chatRequest(port: cluster.publicPort, key: thrifty, body: pinned))
                if answer.status == 200 { answered += 1 }
                last = (answer.status, answer.body)
            }
            #expect(answered == 5 && last.status == 429 && last.body.contains("API key thrifty"), "\(answered) \(last)")
            let listed = try cluster.lumenctl(["keys", "list"])
            #expect(listed.output.contains("$0.05/day"), "\(listed)")
        }
    }

    /// Requests that share a long system prompt go to the replica that holds it in its prefix
    /// cache: from the second request on, the prompt's blocks are cached. Round robin would spread
    /// them over all three replicas.
    @Test func sharedPrefixesGoToTheReplicaThatHoldsThem() async throws {
        try await withTemporaryDirectoryAsync { dir in
            let cluster = LiveCluster(dir: dir)
            defer { cluster.stop() }
            let cache = ["--ttft", "1ms", "--itl", "0ms", "--prefix-cache", "1000"]
            let replicas = [try cluster.startSimulator(cache), try cluster.startSimulator(cache), try cluster.startSimulator(cache)]
            try cluster.startAgent(extra: ["--probe-interval", "0"])
            let applied = try cluster.apply("""
                \(cluster.node)
                ---
                \(LiveCluster.model("cached", replicas))
                """)
            #expect(applied.exitCode == 0, "\(applied)")
            let key = try cluster.createKey("affinity")
            for team in 0..<4 {
                let system = "You are the assistant of team \(team). " + String(repeating: "Answer in the team's house style, briefly. ", count: 20)
                for question in 0..<3 {
                    let body = #"{"model":"cached","messages":[{"role":"system","content":"\#(system)"},{"role":"user","content":"question \#(question)"}]}"#
                    let answer = try await send(chatRequest(port: cluster.publicPort, key: key, body: body))
                    let cached = try JSONValue(json: answer.body)["usage"]?["prompt_tokens_details"]?["cached_tokens"]?.intValue ?? -1
                    #expect(answer.status == 200 && (question == 0 ? cached == 0 : cached >= 112), "team \(team), question \(question): \(cached) cached")
                }
            }
        }
    }
}
