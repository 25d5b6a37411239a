import AsyncHTTPClient
import Foundation
import LumenAPI
import LumenStore
import LumenTestSupport
import NIOHTTP1
import Testing

/// `lumenctl costs` against two real agents under one control store.
@Suite(.serialized) struct CostsTests {
    /// A second agent beside the cluster's own: its own home and ports, the same cluster token.
    struct SecondAgent {
        var process: ManagedProcess
        var publicPort: Int
        var adminPort: Int

        static func start(_ cluster: LiveCluster) throws -> SecondAgent {
            let process = ManagedProcess(builtExecutable("lumen-agent"),
                                         ["run", "--home", cluster.dir + "/agent-second", "--listen", "127.0.0.1:0",
                                          "--admin-listen", "127.0.0.1:0", "--probe-interval", "0"],
                                         environment: cluster.environment)
            let ports = try process.start(waitingFor: #"http://127\.0\.0\.1:(\d+)/v1 \(admin http://127\.0\.0\.1:(\d+)\)"#)
            return SecondAgent(process: process, publicPort: Int(ports[0]) ?? 0, adminPort: Int(ports[1]) ?? 0)
        }

        var node: String {
            """
            apiVersion: lumen.ai/v1
            kind: Node
            metadata: {name: second}
            spec: {address: "http://127.0.0.1:\(publicPort)", adminAddress: "http://127.0.0.1:\(adminPort)"}
            """
        }
    }

    /// An agent's ledger as its admin API serves it, once it holds `count` rows (they are written in batches).
    static func ledger(adminPort: Int, token: String, count: Int) async throws -> [UsageRecord] {
        var rows: [UsageRecord] = []
        for _ in 0..<100 {
            var usage = HTTPClientRequest(url: "http://127.0.0.1:\(adminPort)/v1/usage")
            usage.headers.add(name: "authorization", value: "Bearer \(token)")
            rows = try JSONDecoder().decode([UsageRecord].self, from: Data(try await send(usage).body.utf8))
            if rows.count >= count { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        return rows
    }

    static func spend(_ rows: [UsageRecord]) -> Decimal {
        rows.reduce(Decimal(0)) { $0 + (Decimal(string: $1.cost, locale: Locale(identifier: "en_US_POSIX")) ?? 0) }
    }

    static func decimal(_ value: JSONValue?) -> Decimal? {
        value?.stringValue.flatMap { Decimal(string: $0, locale: Locale(identifier: "en_US_POSIX")) }
    }

    static func group(_ report: JSONValue, _ name: String) -> JSONValue? {
        report["groups"]?.arrayValue?.first { $0["name"]?.stringValue == name }
    }

    @Test func costsSumEveryAgentsLedgerToTheCentAndSayWhenANodeIsMissing() async throws {
        try await withTemporaryDirectoryAsync { dir in
            let cluster = LiveCluster(dir: dir)
            defer { cluster.stop() }
            let simulator = try cluster.startSimulator(["--ttft", "1ms", "--itl", "0ms"])
            try cluster.startAgent(extra: ["--probe-interval", "0"])
            let second = try SecondAgent.start(cluster)
            defer { second.process.stop() }
            let applied = try cluster.apply("""
                \(cluster.node)
                ---
                \(second.node)
                ---
                \(RoutingTests.model("strong", simulator, quality: 0.95, input: "5", output: "20"))
                ---
                \(RoutingTests.model("cheap", simulator, quality: 0.4, input: "0.1", output: "0.4"))
                ---
                apiVersion: lumen.ai/v1
                kind: Route
                metadata: {name: auto}
                spec: {candidates: [strong, cheap], qualityBar: 0.2, budget: {daily: 100, monthly: 1000}}
                """)
            #expect(applied.exitCode == 0 && applied.error.contains("node/second: at revision 1"), "\(applied)")
            let alpha = try cluster.createKey("alpha", ["--daily-budget", "50"])
            let beta = try cluster.createKey("beta")

            // Per agent: easy and hard prompts through lumen/auto, and requests pinned to each model, with both keys.
            let easy = "What is the capital of France?"
            let hard = "Prove that there are infinitely many primes, step by step, and justify each lemma. "
                + "Then implement a Python function that must list the first n primes without using any library, and analyze its complexity."
            var plan: [(port: Int, key: String, model: String, prompt: String)] = []
            for port in [cluster.publicPort, second.publicPort] {
                for index in 0..<24 {
                    let model = ["lumen/auto", "lumen/auto", "lumen/auto", "cheap", "strong", "lumen/auto"][index % 6]
                    plan.append((port, index % 2 == 0 ? alpha : beta, model, index % 4 == 1 ? hard : easy + " \(index)"))
                }
            }
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for request in plan {
                    group.addTask {
                        let body = #"{"model":"\#(request.model)","max_tokens":\#(8 + request.prompt.count % 9),"messages":[{"role":"user","content":\#(JSONValue.jsonString(request.prompt))}]}"#
                        return try await send(chatRequest(port: request.port, key: request.key, body: body)).status
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.count == 48 && statuses.allSatisfy { $0 == 200 }, "\(statuses)")
            let first = try await Self.ledger(adminPort: cluster.adminPort, token: cluster.token, count: 24)
            let other = try await Self.ledger(adminPort: second.adminPort, token: cluster.token, count: 24)
            #expect(first.count == 24 && other.count == 24)
            let all = first + other
            #expect(Set(all.compactMap(\.model)) == ["strong", "cheap"], "both models served")
            #expect(Self.spend(all) > 0)

            // By node: each agent's ledger, and the total of both, exactly.
            let byNode = try cluster.lumenctl(["costs", "-o", "json", "--by", "node"])
            #expect(byNode.exitCode == 0, "\(byNode)")
            let nodes = try JSONValue(json: byNode.output)
            #expect(Self.decimal(nodes["total"]?["spend"]) == Self.spend(all), "\(byNode.output)")
            #expect(Self.decimal(Self.group(nodes, "local")?["spend"]) == Self.spend(first))
            #expect(Self.decimal(Self.group(nodes, "second")?["spend"]) == Self.spend(other))
            #expect(nodes["total"]?["requests"]?.intValue == 48)
            #expect(nodes["total"]?["tokensOut"]?.intValue == all.map(\.completionTokens).reduce(0, +))
            #expect(nodes["nodes"]?.arrayValue?.count == 2 && nodes["unreachable"]?.arrayValue?.isEmpty == true)

            // By route: routed requests against always using strong ($5 in, $20 out per million), with the same tokens.
            let byRoute = try cluster.lumenctl(["costs", "-o", "json", "--by", "route"])
            #expect(byRoute.exitCode == 0, "\(byRoute)")
            let routes = try JSONValue(json: byRoute.output)
            let routed = all.filter { $0.route == "auto" }, pinned = all.filter { $0.route == nil }
            #expect(routed.count == 32 && pinned.count == 16)
            #expect(Self.decimal(Self.group(routes, "auto")?["spend"]) == Self.spend(routed))
            #expect(Self.decimal(Self.group(routes, "(pinned)")?["spend"]) == Self.spend(pinned))
            #expect(Self.decimal(routes["total"]?["spend"]) == Self.spend(all))
            let onStrong = routed.reduce(Decimal(0)) {
                $0 + (Decimal($1.promptTokens) * 5 + Decimal($1.completionTokens) * 20) / 1_000_000
            }
            #expect(Self.decimal(Self.group(routes, "auto")?["baseline"]) == onStrong)
            #expect(Self.decimal(routes["total"]?["saved"]) == onStrong - Self.spend(routed))
            #expect(Self.decimal(Self.group(routes, "(pinned)")?["saved"]) == 0)
            #expect(routed.contains { $0.model == "cheap" } && onStrong > Self.spend(routed), "routing saved something")
            let day = String(routes["budgetPeriods"]?["day"]?.stringValue?.prefix(10) ?? "")
            let today = Self.group(routes, "auto")?["budget"]?["today"]
            #expect(Self.decimal(today?["limit"]) == 100)
            #expect(Self.decimal(today?["spent"]) == Self.spend(routed.filter { $0.at.hasPrefix(day) }))
            #expect(Self.decimal(today?["byNode"]?["second"]) == Self.spend(other.filter { $0.route == "auto" && $0.at.hasPrefix(day) }))

            // By key: each key's spend, and alpha's daily budget.
            let byKey = try cluster.lumenctl(["costs", "-o", "json", "--by", "key"])
            let keys = try JSONValue(json: byKey.output)
            #expect(Self.decimal(Self.group(keys, "alpha")?["spend"]) == Self.spend(all.filter { $0.keyName == "alpha" }), "\(byKey)")
            #expect(Self.decimal(Self.group(keys, "beta")?["spend"]) == Self.spend(all.filter { $0.keyName == "beta" }))
            #expect(Self.decimal(Self.group(keys, "alpha")?["budget"]?["today"]?["limit"]) == 50)
            #expect(Self.group(keys, "beta")?["budget"]?["today"]?.isNull == true)

            // The table and the CSV render.
            let table = try cluster.lumenctl(["costs"])
            #expect(table.exitCode == 0, "\(table)")
            let lines = table.output.split(separator: "\n").map(String.init)
            #expect(lines.contains { $0.hasPrefix("ROUTE ") && $0.contains("SPEND") && $0.contains("SAVED") && $0.contains("TODAY") }, "\(table)")
            #expect(lines.contains { $0.hasPrefix("TOTAL ") && $0.contains("48") }, "\(table)")
            #expect(lines.contains { $0.hasPrefix("auto ") && $0.contains("█") && $0.contains("of $100.00") }, "\(table)")
            #expect(!table.output.contains("\u{1B}["), "NO_COLOR is set")
            let csv = try cluster.lumenctl(["costs", "-o", "csv", "--by", "model"])
            #expect(csv.output.hasPrefix("model,requests,errors,") && csv.output.split(separator: "\n").count == 3, "\(csv)")

            // One agent stopped: exit 1, its error on stderr, the other's numbers still printed.
            second.process.stop()
            let partial = try cluster.lumenctl(["costs", "-o", "json", "--by", "node"])
            #expect(partial.exitCode == 1, "\(partial)")
            #expect(partial.error.contains("node/second: unreachable") && partial.error.contains("missing from these totals"), "\(partial)")
            let remaining = try JSONValue(json: partial.output)
            #expect(Self.decimal(remaining["total"]?["spend"]) == Self.spend(first), "\(partial.output)")
            #expect(remaining["unreachable"]?.arrayValue?.first?["node"]?.stringValue == "second")
            let partialTable = try cluster.lumenctl(["costs", "--by", "node"])
            #expect(partialTable.exitCode == 1 && partialTable.output.contains("from 1 of 2 nodes") && partialTable.output.contains("TOTAL"),
                    "\(partialTable)")
        }
    }
}
