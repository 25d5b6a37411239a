import AsyncHTTPClient
import Foundation
import LumenAPI
import LumenStore
import LumenTestSupport
import NIOCore
import NIOHTTP1
import Testing

/// A key holder who tries to spend past a limit: every limit holds for the request's worst case at
/// admission, and what a request holds is given back however it ends.
@Suite(.serialized) struct SpendControlTests {
    static func model(_ name: String, _ endpoint: String, input: String = "1", output: String = "2", context: Int = 8192) -> String {
        """
        apiVersion: lumen.ai/v1
        kind: Model
        metadata: {name: \(name)}
        spec:
          deployment: {endpoints: ["\(endpoint)"]}
          pricing: {inputPerMTok: \(input), outputPerMTok: \(output)}
          quality: 0.5
          contextWindow: \(context)
        """
    }

    static func route(_ name: String, _ candidate: String, budget: String? = nil) -> String {
        """
        apiVersion: lumen.ai/v1
        kind: Route
        metadata: {name: \(name)}
        spec: {candidates: [\(candidate)], strategy: pinned\(budget.map { ", budget: \($0)" } ?? "")}
        """
    }

    static func body(_ model: String, stream: Bool = false, extra: String = "", content: String = "hello") -> String {
        #"{"model":"\#(model)","stream":\#(stream),"messages":[{"role":"user","content":\#(JSONValue.jsonString(content))}]\#(extra)}"#
    }

    /// An agent in front of one simulator (started with `simulator` arguments) serving `manifests`,
    /// which get the simulator's URL; `body` runs against it.
    static func withCluster(simulator arguments: [String], manifests: (_ simulator: String) -> String,
                            _ body: (LiveCluster) async throws -> Void) async throws {
        try await withTemporaryDirectoryAsync { dir in
            let cluster = LiveCluster(dir: dir)
            defer { cluster.stop() }
            let simulator = try cluster.startSimulator(arguments)
            try cluster.startAgent(extra: ["--probe-interval", "0"])
            let applied = try cluster.apply(cluster.node + "\n---\n" + manifests(simulator))
            #expect(applied.exitCode == 0, "\(applied)")
            try await body(cluster)
        }
    }

    /// A stream refused after its key's stream slot was taken (over budget) gives the slot back.
    @Test func aRefusedStreamGivesItsStreamSlotBack() async throws {
        try await Self.withCluster(simulator: ["--ttft", "1ms", "--itl", "0ms"], manifests: { simulator in
            """
            \(Self.model("sim", simulator))
            ---
            \(Self.route("tiny", "sim", budget: "{daily: 0.000001}"))
            ---
            \(Self.route("open", "sim"))
            """
        }) { cluster in
            let key = try cluster.createKey("one-stream", ["--max-streams", "1"])
            for _ in 0..<3 {
                let refused = try await send(chatRequest(port: cluster.publicPort, key: key, body: Self.body("lumen/tiny", stream: true)))
                #expect(refused.status == 429 && refused.body.contains("budget_exceeded"), "\(refused)")
            }
            let streamed = try await send(chatRequest(port: cluster.publicPort, key: key, body: Self.body("lumen/open", stream: true, extra: #","max_tokens":4"#)))
            #expect(streamed.status == 200 && streamed.body.contains("[DONE]"), "\(streamed)")
            let again = try await send(chatRequest(port: cluster.publicPort, key: key, body: Self.body("lumen/open", stream: true, extra: #","max_tokens":4"#)))
            #expect(again.status == 200, "\(again)")
        }
    }

    /// `n` multiplies the worst case: the price ceiling and the budgets count every choice.
    @Test func nChoicesCountAgainstThePriceCeilingAndTheBudget() async throws {
        // Output at $100/M: 100 tokens cost $0.01 per choice.
        try await Self.withCluster(simulator: ["--ttft", "1ms", "--itl", "0ms"], manifests: { simulator in
            """
            \(Self.model("pricey", simulator, input: "1", output: "100"))
            ---
            apiVersion: lumen.ai/v1
            kind: Route
            metadata: {name: ceiling}
            spec: {candidates: [pricey], strategy: pinned, onNoCandidate: reject, budget: {maxCostPerRequest: 0.05}}
            ---
            \(Self.route("daily", "pricey", budget: "{daily: 0.2}"))
            """
        }) { cluster in
            let key = try cluster.createKey("choices")
            let one = try await send(chatRequest(port: cluster.publicPort, key: key, body: Self.body("lumen/ceiling", extra: #","max_tokens":100"#)))
            #expect(one.status == 200, "\(one)")
            let sixteen = try await send(chatRequest(port: cluster.publicPort, key: key, body: Self.body("lumen/ceiling", extra: #","max_tokens":100,"n":16"#)))
            #expect(sixteen.status == 400 && sixteen.body.contains("maxCostPerRequest"), "\(sixteen)")
            // Sixteen choices of $0.01 each cannot fit in a $0.20 day's budget beside what was spent.
            let overBudget = try await send(chatRequest(port: cluster.publicPort, key: key, body: Self.body("lumen/daily", extra: #","max_tokens":100,"n":32"#)))
            #expect(overBudget.status == 429 && overBudget.body.contains("budget_exceeded"), "\(overBudget)")
            for bad in [#","n":0"#, #","n":-3"#, #","n":1.5"#, #","n":"16""#, #","n":100000"#, #","max_tokens":-1"#] {
                let refused = try await send(chatRequest(port: cluster.publicPort, key: key, body: Self.body("lumen/daily", extra: bad)))
                #expect(refused.status == 400 && refused.body.contains("must be an integer"), "\(bad): \(refused)")
            }
        }
    }

    /// Concurrent requests on a TPM-limited key: together they never pass the limit, because each
    /// holds its worst case while it runs.
    @Test func concurrentRequestsStayWithinTheKeysTokensPerMinute() async throws {
        try await Self.withCluster(simulator: ["--ttft", "50ms", "--itl", "20ms"], manifests: { simulator in
            """
            \(Self.model("sim", simulator))
            ---
            \(Self.route("auto", "sim"))
            """
        }) { cluster in
            let key = try cluster.createKey("tpm", ["--tpm", "100"])
            let port = cluster.publicPort
            let answers = try await withThrowingTaskGroup(of: (Int, String).self) { group in
                for index in 0..<8 {
                    group.addTask {
                        let body = Self.body("lumen/auto", stream: index % 2 == 0, extra: #","max_tokens":20,"ignore_eos":true"#)
                        let answer = try await send(chatRequest(port: port, key: key, body: body))
                        return (answer.status, answer.body)
                    }
                }
                var all: [(Int, String)] = []
                for try await answer in group { all.append(answer) }
                return all
            }
            let admitted = answers.filter { $0.0 == 200 }.count
            #expect(admitted >= 1 && admitted < 8, "\(answers.map(\.0))")
            #expect(answers.filter { $0.0 != 200 }.allSatisfy { $0.0 == 429 && $0.1.contains("tokens per minute") }, "\(answers)")
            let rows = try await CostsTests.ledger(adminPort: cluster.adminPort, token: cluster.token, count: 8)
            let used = rows.filter { $0.status == 200 }.reduce(0) { $0 + $1.promptTokens + $1.completionTokens }
            #expect(used > 0 && used <= 100, "\(used) tokens passed a 100-token minute")
            // A request whose worst case alone is over the limit can never pass: a 400 that says why.
            let unbounded = try await send(chatRequest(port: port, key: key, body: Self.body("lumen/auto")))
            #expect(unbounded.status == 400 && unbounded.body.contains("tokens_per_minute_exceeded"), "\(unbounded)")
        }
    }

    /// A stream the client cuts off before the upstream's usage chunk is billed for its prompt.
    @Test func aCutOffStreamIsBilledForItsPrompt() async throws {
        try await Self.withCluster(simulator: ["--ttft", "1ms", "--itl", "30ms"], manifests: { simulator in
            """
            \(Self.model("sim", simulator, input: "1", output: "2", context: 200_000))
            ---
            \(Self.route("auto", "sim"))
            """
        }) { cluster in
            let key = try cluster.createKey("cut")
            // 20,000 words: the simulator counts 20,003 prompt tokens.
            let prompt = Array(repeating: "word", count: 20_000).joined(separator: " ")
            let body = Self.body("lumen/auto", stream: true, extra: #","max_tokens":5000,"ignore_eos":true"#, content: prompt)
            let chunks = Counter()
            let reader = Task {
                let response = try await testClient.execute(chatRequest(port: cluster.publicPort, key: key, body: body), timeout: .seconds(30))
                for try await _ in response.body { chunks.increment() }
            }
            while chunks.value < 2 { try await Task.sleep(for: .milliseconds(5)) }
            reader.cancel()
            _ = await reader.result
            var cut: UsageRecord?
            for _ in 0..<100 where cut == nil {
                cut = try await CostsTests.ledger(adminPort: cluster.adminPort, token: cluster.token, count: 1).first { $0.outcome == .clientClosed }
                if cut == nil { try await Task.sleep(for: .milliseconds(100)) }
            }
            let row = try #require(cut)
            #expect(row.promptTokens >= 20_000, "billed \(row.promptTokens) prompt tokens")
            let cost = Decimal(string: row.cost, locale: Locale(identifier: "en_US_POSIX")) ?? 0
            #expect(cost >= Decimal(string: "0.020")!, "billed $\(row.cost)")
        }
    }
}
