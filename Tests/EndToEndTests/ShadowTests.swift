import AsyncHTTPClient
import Foundation
import LumenAPI
import LumenStore
import LumenTestSupport
import NIOCore
import NIOHTTP1
import Testing

@Suite(.serialized) struct ShadowTests {
    static func shadowTest(_ name: String, route: String, sampleRate: Double) -> String {
        """
        apiVersion: lumen.ai/v1
        kind: ShadowTest
        metadata: {name: \(name)}
        spec:
          route: \(route)
          candidate: challenger
          sampleRate: \(sampleRate)
          thresholds: {maxTtftP95Ratio: 4, maxLatencyP95Ratio: 4}
        """
    }

    /// A cluster with an incumbent and a challenger, each on its own simulator, a pinned route
    /// and a shadow test mirroring half its requests to the challenger.
    static func start(_ cluster: LiveCluster, retention: String = "standard") throws -> (key: String, challengerPort: String) {
        let incumbent = try cluster.startSimulator(["--ttft", "20ms", "--itl", "1ms"])
        let challenger = try cluster.startSimulator(["--ttft", "20ms", "--itl", "1ms"])
        try cluster.startAgent(extra: ["--probe-interval", "0"], logLevel: "debug")
        let applied = try cluster.apply("""
            \(cluster.node)
            ---
            \(RoutingTests.model("incumbent", incumbent, quality: 0.8, input: "1", output: "2"))
            ---
            \(RoutingTests.model("challenger", challenger, quality: 0.8, input: "0.5", output: "1"))
            ---
            apiVersion: lumen.ai/v1
            kind: Route
            metadata: {name: auto}
            spec: {candidates: [incumbent], strategy: pinned, retention: \(retention)}
            ---
            \(shadowTest("try-challenger", route: "auto", sampleRate: 0.5))
            """)
        #expect(applied.exitCode == 0, "\(applied)")
        let port = challenger.split(separator: ":").last?.split(separator: "/").first.map(String.init) ?? ""
        return (try cluster.createKey("shadow"), port)
    }

    static func ask(_ cluster: LiveCluster, key: String, _ prompt: String, stream: Bool, route: String = "auto") async throws -> (status: Int, body: String) {
        let body = #"{"model":"lumen/\#(route)","stream":\#(stream),"max_tokens":12,"messages":[{"role":"user","content":\#(JSONValue.jsonString(prompt))}]}"#
        let answer = try await send(chatRequest(port: cluster.publicPort, key: key, body: body))
        return (answer.status, answer.body)
    }

    static func admin(_ cluster: LiveCluster, _ path: String) async throws -> JSONValue {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(cluster.adminPort)\(path)")
        request.headers.add(name: "authorization", value: "Bearer \(cluster.token)")
        return try JSONValue(json: try await send(request).body)
    }

    /// Waits (bounded) until the agent has recorded `count` pairs for `test`.
    static func waitForPairs(_ cluster: LiveCluster, _ test: String, _ count: Int) async throws -> Int {
        var pairs = 0
        for _ in 0..<100 {
            pairs = try await admin(cluster, "/v1/shadow")[test]?["pairs"]?.intValue ?? 0
            if pairs >= count { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        return pairs
    }

    /// N live requests give N × sampleRate pairs; each pair's primary side is the ledger's row for
    /// that request; the candidate is never billed to the client; the report's numbers are the
    /// ledger's; promotion in steps writes the route revisions and stops the test.
    @Test func mirroredRequestsBecomePairsThatMatchTheLedgerAndPromoteInSteps() async throws {
        try await withTemporaryDirectoryAsync { dir in
            let cluster = LiveCluster(dir: dir)
            defer { cluster.stop() }
            let (key, _) = try Self.start(cluster)
            for index in 0..<40 {
                let answer = try await Self.ask(cluster, key: key, "Question \(index): how do shadow tests compare models?", stream: index % 4 < 2)
                #expect(answer.status == 200, "\(answer)")
            }
            #expect(try await Self.waitForPairs(cluster, "try-challenger", 20) == 20)
            // Shadowing stays dark: the ledger has the 40 client requests, all served by the incumbent,
            // and a shadow row for each mirrored copy.
            let all = try JSONDecoder().decode([UsageRecord].self, from: Data(try await Self.admin(cluster, "/v1/usage").json().utf8))
            let ledger = all.filter { $0.origin == .client }
            let shadowRows = all.filter { $0.origin == .shadow }
            #expect(all.count == 60 && shadowRows.count == 20 && shadowRows.allSatisfy { $0.model == "challenger" && $0.keyName == nil })
            #expect(ledger.count == 40 && ledger.allSatisfy { $0.model == "incumbent" && $0.keyName == "shadow" }, "\(ledger.map(\.model))")
            let rows = Dictionary(uniqueKeysWithValues: ledger.map { ($0.requestID, $0) })
            let pairs = try JSONDecoder().decode([ShadowPair].self,
                                                 from: Data(try await Self.admin(cluster, "/v1/shadow/pairs?test=try-challenger").json().utf8))
            #expect(pairs.count == 20)
            for pair in pairs {
                let row = try #require(rows[pair.requestID], "pair \(pair.requestID) has no ledger row")
                #expect(pair.primary.cost == row.cost && pair.primary.completionTokens == row.completionTokens
                        && pair.primary.promptTokens == row.promptTokens && pair.primary.durationMilliseconds == row.durationMilliseconds)
                // A streamed primary's TTFT is the ledger's; a whole answer has no first token to compare.
                #expect(pair.primary.ttftMilliseconds == nil || pair.primary.ttftMilliseconds == row.ttftMilliseconds)
                #expect(pair.candidate.model == "challenger" && !pair.candidate.failed && pair.candidate.ttftMilliseconds != nil)
                // The simulator's answer is a function of the conversation: both sides say the same.
                #expect(pair.measures.exactMatch && pair.measures.agreement == 1 && pair.primary.text == pair.candidate.text)
                #expect(pair.prompt?.contains("how do shadow tests compare models") == true && pair.primary.text?.isEmpty == false)
            }

            let report = try cluster.lumenctl(["shadow", "report", "try-challenger", "-o", "json", "--html", dir + "/report.html"])
            #expect(report.exitCode == 0, "\(report)")
            let json = try JSONValue(json: report.output)
            #expect(json["pairs"]?.intValue == 20)
            #expect(json["verdict"]?["decision"]?.stringValue == "promote", "\(report.output)")
            // The report's primary money and latency are the ledger's for the same requests.
            let paired = pairs.compactMap { rows[$0.requestID] }
            let ledgerCost = paired.reduce(Decimal(0)) { $0 + (Decimal(string: $1.cost) ?? 0) }
            #expect(Decimal(string: json["primary"]?["totalCost"]?.stringValue ?? "") == ledgerCost, "\(json["primary"]?.json() ?? "")")
            let streamed = Set(pairs.filter { $0.primary.ttftMilliseconds != nil }.map(\.requestID))
            #expect(streamed.count == 10, "every other mirrored request was a stream")
            let ledgerTTFT = paired.filter { streamed.contains($0.requestID) }.compactMap(\.ttftMilliseconds).sorted()
            let p95 = ledgerTTFT[Int((Double(ledgerTTFT.count) * 0.95).rounded(.up)) - 1]
            #expect(abs((json["primary"]?["ttftMilliseconds"]?["p95"]?.doubleValue ?? 0) - p95) < 1e-6)
            let durations = paired.map(\.durationMilliseconds).sorted()
            #expect(abs((json["primary"]?["latencyMilliseconds"]?["p50"]?.doubleValue ?? 0) - durations[Int((Double(durations.count) * 0.5).rounded(.up)) - 1]) < 1e-6)
            let candidateCost = pairs.reduce(Decimal(0)) { $0 + (Decimal(string: $1.candidate.cost) ?? 0) }
            #expect(Decimal(string: json["candidate"]?["totalCost"]?.stringValue ?? "") == candidateCost)
            // What the mirrored copies cost is in the ledger and in `lumenctl costs`, apart from the client spend.
            #expect(shadowRows.reduce(Decimal(0)) { $0 + (Decimal(string: $1.cost) ?? 0) } == candidateCost)
            let costs = try cluster.lumenctl(["costs", "-o", "json"])
            let spent = try JSONValue(json: costs.output)
            #expect(Decimal(string: spent["shadow"]?["spend"]?.stringValue ?? "") == candidateCost, "\(costs)")
            #expect(spent["shadow"]?["requests"]?.intValue == 20 && spent["total"]?["requests"]?.intValue == 40)
            let page = try String(contentsOfFile: dir + "/report.html", encoding: .utf8)
            #expect(page.contains("<svg") && page.contains("try-challenger"))
            // The page as a person sees it, kept for review.
            let png = try Chromium.artifacts().appendingPathComponent("shadow-report-e2e.png").path
            try? FileManager.default.removeItem(atPath: png)
            try Chromium.screenshot(try #require(Chromium.path, "scripts/bootstrap.sh installs chromium"), page: dir + "/report.html", to: png,
                                    home: dir)
            #expect(((try? FileManager.default.attributesOfItem(atPath: png)[.size] as? Int) ?? 0) > 20_000)

            let list = try cluster.lumenctl(["shadow", "list"])
            #expect(list.exitCode == 0 && list.output.contains("try-challenger") && list.output.contains("running"), "\(list)")
            let status = try cluster.lumenctl(["shadow", "status", "try-challenger"])
            #expect(status.exitCode == 0 && status.output.contains("pairs:     20"), "\(status)")

            // Promote in two steps while traffic flows.
            let promote = try LumenctlProcess(["shadow", "promote", "try-challenger", "--steps", "50,100", "--interval", "2s"],
                                              home: dir + "/home", scratch: dir, environment: cluster.environment)
            try promote.start()
            var served: [String: Int] = [:]
            while promote.process.isRunning {
                let answer = try await send(chatRequest(port: cluster.publicPort, key: key,
                                                        body: #"{"model":"lumen/auto","max_tokens":4,"messages":[{"role":"user","content":"load"}]}"#))
                served[answer.headers.first(name: "x-lumen-model") ?? "?", default: 0] += 1
            }
            let promoted = promote.wait()
            #expect(promoted.exitCode == 0, "\(promoted)")
            #expect(promoted.output.contains("50% of traffic to challenger") && promoted.output.contains("100% of traffic to challenger"))
            #expect((served["challenger"] ?? 0) > 0, "\(served)")
            let route = try JSONValue(json: try cluster.lumenctl(["get", "route", "auto", "-o", "json"]).output)
            #expect(route["spec"]?["candidates"] == .list([.string("challenger")]) && route["spec"]?["strategy"]?.stringValue == "pinned", "\(route.json())")
            let history = try cluster.lumenctl(["history", "route", "auto"])
            #expect(history.output.components(separatedBy: "\n").filter { !$0.isEmpty }.count >= 4, "\(history)")
            let test = try JSONValue(json: try cluster.lumenctl(["get", "shadowtest", "try-challenger", "-o", "json"]).output)
            #expect(test["spec"]?["until"] != nil, "the promotion stopped the shadow test: \(test.json())")
        }
    }

    /// A candidate that turns slow once it takes live traffic is rolled back: the route is
    /// restored as it was, as a new revision, and promote exits 1 saying why.
    @Test func promotionRollsBackWhenTheCandidateRegresses() async throws {
        try await withTemporaryDirectoryAsync { dir in
            let cluster = LiveCluster(dir: dir)
            defer { cluster.stop() }
            let (key, challengerPort) = try Self.start(cluster)
            for index in 0..<24 {
                _ = try await Self.ask(cluster, key: key, "Prompt \(index)", stream: true)
            }
            #expect(try await Self.waitForPairs(cluster, "try-challenger", 12) == 12)
            let before = try JSONValue(json: try cluster.lumenctl(["get", "route", "auto", "-o", "json"]).output)["spec"]
            // The regression: the challenger comes back on its port twenty times slower.
            cluster.simulators[1].stop()
            let slow = ManagedProcess(builtExecutable("lumen-engine"), ["serve", "--simulate", "--port", challengerPort, "--ttft", "400ms", "--itl", "1ms"])
            _ = try slow.start(waitingFor: #"http://127\.0\.0\.1:(\d+)/v1"#)
            cluster.simulators.append(slow)
            let promote = try LumenctlProcess(["shadow", "promote", "try-challenger", "--steps", "50,100", "--interval", "20s"],
                                              home: dir + "/home", scratch: dir, environment: cluster.environment)
            try promote.start()
            await withTaskGroup(of: Void.self) { group in
                for _ in 0..<4 {
                    group.addTask {
                        while promote.process.isRunning {
                            _ = try? await send(chatRequest(port: cluster.publicPort, key: key,
                                                            body: #"{"model":"lumen/auto","stream":true,"max_tokens":4,"messages":[{"role":"user","content":"load"}]}"#))
                        }
                    }
                }
            }
            let result = promote.wait()
            #expect(result.exitCode == 1, "\(result)")
            #expect(result.error.contains("rolled back at 50%") && result.error.contains("TTFT p95"), "\(result)")
            let after = try JSONValue(json: try cluster.lumenctl(["get", "route", "auto", "-o", "json"]).output)["spec"]
            #expect(after == before, "the route is as it was: \(after?.json() ?? "")")
            let history = try cluster.lumenctl(["history", "-o", "json"])
            #expect(history.output.contains("(rolled back)") && history.output.contains("(50% to challenger)"), "\(history)")

            // Ctrl-C during a step rolls back too, rather than leaving the route split (--force: the slow
            // challenger's later pairs hold the verdict).
            let interrupted = try LumenctlProcess(["shadow", "promote", "try-challenger", "--force", "--steps", "50,100", "--interval", "60s"],
                                                  home: dir + "/home", scratch: dir, environment: cluster.environment)
            try interrupted.start()
            for _ in 0..<100 {
                let route = try JSONValue(json: try cluster.lumenctl(["get", "route", "auto", "-o", "json"]).output)["spec"]
                if route?["strategy"]?.stringValue == "weighted" { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            kill(interrupted.process.processIdentifier, SIGINT)
            let stopped = interrupted.wait()
            #expect(stopped.exitCode == 1 && stopped.error.contains("rolled back at 50%: interrupted"), "\(stopped)")
            let restored = try JSONValue(json: try cluster.lumenctl(["get", "route", "auto", "-o", "json"]).output)["spec"]
            #expect(restored == before, "\(restored?.json() ?? "")")
        }
    }

    /// A zero-retention route's pairs keep measures only, and no prompt or completion of it
    /// reaches any file: not the agent's SQLite files, not the control store, not the agent's
    /// debug log. A standard route's pairs in the same run keep theirs (so the search can find text).
    @Test func zeroRetentionLeavesNoPromptOrCompletionOnDisk() async throws {
        try await withTemporaryDirectoryAsync { dir in
            let cluster = LiveCluster(dir: dir)
            defer { cluster.stop() }
            let (key, _) = try Self.start(cluster, retention: "zero")
            let open = try cluster.apply("""
                apiVersion: lumen.ai/v1
                kind: Route
                metadata: {name: open}
                spec: {candidates: [incumbent], strategy: pinned}
                ---
                \(Self.shadowTest("open-shadow", route: "open", sampleRate: 1))
                """, name: "open.yaml")
            #expect(open.exitCode == 0, "\(open)")
            var secrets: [String] = []
            for index in 0..<6 {
                let prompt = "zanzibarquokka secret number \(index)"
                let answer = try await Self.ask(cluster, key: key, prompt, stream: index % 2 == 0)
                #expect(answer.status == 200)
                secrets.append(prompt)
                // The completion's words, as the client saw them.
                let text: String
                if index % 2 == 0 {
                    text = answer.body.split(separator: "\n").compactMap { line -> String? in
                        guard line.hasPrefix("data: {") else { return nil }
                        return (try? JSONValue(json: String(line.dropFirst(6))))?["choices"]?.arrayValue?.first?["delta"]?["content"]?.stringValue
                    }.joined()
                } else {
                    text = (try JSONValue(json: answer.body))["choices"]?.arrayValue?.first?["message"]?["content"]?.stringValue ?? ""
                }
                #expect(text.count > 20, "\(answer.body)")
                secrets.append(text)
            }
            _ = try await Self.ask(cluster, key: key, "marmosetvisible in the open", stream: false, route: "open")
            #expect(try await Self.waitForPairs(cluster, "try-challenger", 3) == 3)
            #expect(try await Self.waitForPairs(cluster, "open-shadow", 1) == 1)
            let pairs = try JSONDecoder().decode([ShadowPair].self,
                                                 from: Data(try await Self.admin(cluster, "/v1/shadow/pairs?test=try-challenger").json().utf8))
            #expect(pairs.count == 3 && pairs.allSatisfy { $0.prompt == nil && $0.primary.text == nil && $0.candidate.text == nil })
            #expect(pairs.allSatisfy { $0.measures.exactMatch && $0.measures.similarity == 1 }, "measures are kept")
            let report = try cluster.lumenctl(["shadow", "report", "try-challenger"])
            #expect(report.exitCode == 0, "\(report)")
            // Stopping the agent flushes everything it holds.
            cluster.agent?.stop()
            var files: [String] = []
            let enumerator = FileManager.default.enumerator(atPath: dir)
            while let path = enumerator?.nextObject() as? String {
                var isDirectory: ObjCBool = false
                if FileManager.default.fileExists(atPath: dir + "/" + path, isDirectory: &isDirectory), !isDirectory.boolValue,
                   path.hasPrefix("home/") || path.hasPrefix("agent/") || path == "agent.log" {
                    files.append(dir + "/" + path)
                }
            }
            #expect(files.contains { $0.hasSuffix("agent.db") } && files.contains { $0.hasSuffix("control.db") } && files.contains { $0.hasSuffix("agent.log") })
            var all = Data()
            for file in files { all.append(try Data(contentsOf: URL(fileURLWithPath: file))) }
            let contents = String(decoding: all, as: UTF8.self)
            #expect(contents.contains("marmosetvisible"), "the standard route's pair keeps its prompt, so the search can find text")
            #expect(contents.contains("request"), "the log was written")
            for secret in secrets {
                #expect(!contents.contains(secret), "\(secret.prefix(40)) was written to disk")
            }
            #expect(!contents.contains("zanzibarquokka"))
        }
    }
}
