import ArgumentParser
import Foundation
@testable import LumenCtl
import LumenManifest
import LumenStore
import LumenTestSupport
import Testing

/// `lumenctl costs` on plain values: windows, grouping, exact sums, savings, budgets, output.
@Suite struct CostReportTests {
    static let manifests = """
        apiVersion: lumen.ai/v1
        kind: Model
        metadata: {name: strong}
        spec:
          provider: p
          pricing: {inputPerMTok: 10, outputPerMTok: 30, cachedInputPerMTok: 5}
          quality: 0.9
          contextWindow: 8192
        ---
        apiVersion: lumen.ai/v1
        kind: Model
        metadata: {name: cheap}
        spec:
          provider: p
          pricing: {inputPerMTok: 0.5, outputPerMTok: 1.5}
          quality: 0.4
          contextWindow: 8192
        ---
        apiVersion: lumen.ai/v1
        kind: Model
        metadata: {name: twin}
        spec:
          provider: p
          pricing: {inputPerMTok: 1, outputPerMTok: 40}
          quality: 0.9
          contextWindow: 8192
        ---
        apiVersion: lumen.ai/v1
        kind: Route
        metadata: {name: auto}
        spec: {candidates: [cheap, strong], budget: {daily: 1, monthly: 10}}
        ---
        apiVersion: lumen.ai/v1
        kind: Route
        metadata: {name: tie}
        spec: {candidates: [cheap, strong, twin]}
        """

    static func prices(keys: [APIKeyRecord] = []) throws -> PriceBook {
        let manifests = try ManifestParser.parse(Self.manifests, file: "costs.yaml").map(\.manifest)
        return PriceBook(snapshot: Snapshot(revision: 1, createdAt: "2026-11-01T00:00:00Z", manifests: manifests, keys: keys))
    }

    static func row(_ node: String, at: String = "2026-11-29T10:00:00Z", route: String?, model: String?, key: String?,
                    prompt: Int = 0, completion: Int = 0, cached: Int = 0, cost: String, outcome: UsageRecord.Outcome = .completed) -> LedgerRow {
        LedgerRow(node: node, record: UsageRecord(
            requestID: UUID().uuidString, at: at, keyName: key, route: route, model: model, upstream: nil, promptTokens: prompt,
            completionTokens: completion, cachedTokens: cached, cost: cost, ttftMilliseconds: nil, durationMilliseconds: 1,
            status: outcome == .completed ? 200 : 500, outcome: outcome, failovers: 0))
    }

    static let now = Date(timeIntervalSince1970: 1_795_953_600)  // 2026-11-29T12:00:00Z
    static let window = CostWindow(since: now.addingTimeInterval(-86_400), until: now)

    /// Costs as the gateway wrote them: cheap 1000 in / 500 out is $0.00125, strong 2000 in (1000 cached) / 1000 out is $0.045.
    static let rows = [
        row("a", route: "auto", model: "cheap", key: "dev", prompt: 1000, completion: 500, cost: "0.00125"),
        row("b", route: "auto", model: "strong", key: "ops", prompt: 2000, completion: 1000, cached: 1000, cost: "0.045"),
        row("a", route: nil, model: "strong", key: "dev", prompt: 100, completion: 100, cost: "0.004"),
        row("b", route: "auto", model: nil, key: nil, cost: "0", outcome: .rejected),
        row("a", route: "auto", model: "cheap", key: "dev", prompt: 100, cost: "0.00005", outcome: .failed),
    ]

    static func report(_ grouping: CostGrouping, rows: [LedgerRow] = rows, budgetRows: [LedgerRow] = [],
                       prices: PriceBook? = nil, unreachable: [NodeFailure] = []) throws -> CostReport {
        CostReport.build(rows: rows, budgetRows: budgetRows, grouping: grouping, window: window, periods: BudgetPeriods(now: now),
                         prices: try prices ?? Self.prices(), nodesAsked: ["b", "a", "c"], unreachable: unreachable)
    }

    @Test func theSharedFormulaPricesCachedInputApart() throws {
        let prices = try Self.prices()
        let strong = try #require(prices.models["strong"])
        #expect(strong.pricing.cost(prompt: 2000, completion: 1000, cached: 1000) == Decimal(string: "0.045"))
        #expect(try #require(prices.models["cheap"]).pricing.cost(prompt: 1000, completion: 500, cached: 0) == Decimal(string: "0.00125"))
    }

    @Test func groupsByRouteWithExactSumsErrorsAndSavings() throws {
        let report = try Self.report(.route)
        #expect(report.groups.map(\.name) == ["auto", "(pinned)"])
        let auto = report.groups[0]
        #expect(auto.requests == 4 && auto.errors == 1)
        #expect(auto.tokensIn == 3100 && auto.tokensOut == 1500 && auto.cachedTokens == 1000)
        #expect(auto.spend == Decimal(string: "0.0463"))
        // On strong instead: $0.025 + $0.045 + $0 + $0.001.
        #expect(auto.baseline == Decimal(string: "0.071"))
        #expect(auto.saved == Decimal(string: "0.0247"))
        #expect(Money.fixed(try #require(auto.savedPercent), places: 2) == "34.79")
        let pinned = report.groups[1]
        #expect(pinned.spend == Decimal(string: "0.004") && pinned.saved == 0 && pinned.savedPercent == 0)
        #expect(report.total.requests == 5 && report.total.spend == Decimal(string: "0.0503"))
        #expect(report.total.baseline == Decimal(string: "0.075") && report.total.saved == Decimal(string: "0.0247"))
    }

    @Test func otherGroupings() throws {
        let byKey = try Self.report(.key)
        #expect(Set(byKey.groups.map(\.name)) == ["dev", "ops", "(none)"])
        #expect(byKey.groups.first { $0.name == "dev" }?.spend == Decimal(string: "0.0053"))
        let byModel = try Self.report(.model)
        #expect(byModel.groups.map(\.name) == ["strong", "cheap", "(none)"])
        #expect(byModel.groups[0].spend == Decimal(string: "0.049"))
        // A node that answered with nothing still has its line; an unreachable one has none.
        let byNode = try Self.report(.node, rows: Self.rows.filter { $0.node == "a" }, unreachable: [NodeFailure(node: "c", error: "down")])
        #expect(byNode.groups.map(\.name) == ["a", "b"])
        #expect(byNode.groups[1].requests == 0 && byNode.groups[1].spend == 0)
        let byDay = try Self.report(.day, rows: [
            Self.row("a", at: "2026-11-29T01:00:00Z", route: nil, model: "cheap", key: nil, cost: "0.5"),
            Self.row("a", at: "2026-11-28T23:59:59Z", route: nil, model: "cheap", key: nil, cost: "1.5"),
        ])
        #expect(byDay.groups.map(\.name) == ["2026-11-28", "2026-11-29"])
    }

    @Test func sumsAreExactDecimalsNotFloats() throws {
        let rows = ["0.1", "0.2", "0.000000001", "123456789.123456789"].map { Self.row("a", route: nil, model: "cheap", key: nil, cost: $0) }
        let report = try Self.report(.model, rows: rows)
        #expect(report.total.spend == Decimal(string: "123456789.423456790"))
        #expect(Money.exact(try Self.report(.model, rows: Array(rows.prefix(2))).total.spend) == "0.3")
    }

    @Test func theStrongestCandidateIsTheHighestQualityThenTheHigherOutputPrice() throws {
        let prices = try Self.prices()
        #expect(prices.strongest(ofRoute: "auto")?.quality == 0.9)
        #expect(prices.strongest(ofRoute: "tie")?.pricing.outputPerMTok.amount == 40)
        #expect(prices.strongest(ofRoute: "gone") == nil)
        // A request on a route that is gone from the store saves nothing.
        let orphan = Self.row("a", route: "gone", model: "cheap", key: nil, prompt: 10, cost: "0.000005")
        #expect(prices.baseline(of: orphan) == Decimal(string: "0.000005"))
        let tie = Self.row("a", route: "tie", model: "cheap", key: nil, completion: 1000, cost: "0.0015")
        #expect(prices.baseline(of: tie) == Decimal(string: "0.04"))
    }

    @Test func budgetsCountTheUTCDayAndMonthOfEveryNode() throws {
        let prices = try Self.prices(keys: [APIKeyRecord(name: "dev", hash: "h", prefix: "lmn_x", routes: nil, requestsPerMinute: nil,
                                                         tokensPerMinute: nil, maxStreams: nil, dailyBudget: USD(parsing: "0.05"),
                                                         createdAt: "2026-11-01T00:00:00Z")])
        let budgetRows = [
            Self.row("a", at: "2026-11-29T00:00:00Z", route: "auto", model: "cheap", key: "dev", cost: "0.25"),
            Self.row("b", at: "2026-11-29T11:59:59Z", route: "auto", model: "cheap", key: "dev", cost: "0.25"),
            Self.row("a", at: "2026-11-10T08:00:00Z", route: "auto", model: "cheap", key: "dev", cost: "2"),
            Self.row("a", at: "2026-10-31T23:59:59Z", route: "auto", model: "cheap", key: "dev", cost: "100"),
        ]
        let report = try Self.report(.route, budgetRows: budgetRows, prices: prices)
        let auto = try #require(report.groups.first { $0.name == "auto" })
        #expect(auto.today == BudgetUse(limit: 1, spent: Decimal(string: "0.5") ?? 0, spentByNode: ["a": 0.25, "b": 0.25]))
        #expect(auto.today?.percent == 50)
        #expect(auto.thisMonth?.spent == Decimal(string: "2.5") && auto.thisMonth?.percent == 25)
        #expect(report.groups.first { $0.name == "(pinned)" }?.today == nil)

        let byKey = try Self.report(.key, budgetRows: budgetRows, prices: prices)
        let dev = try #require(byKey.groups.first { $0.name == "dev" })
        #expect(dev.today?.percent == 1000 && dev.thisMonth == nil)
        let table = byKey.table(usesColor: false)
        #expect(table.contains("$0.5000 of $0.05 (1000%)"), "\(table)")
    }

    @Test func windowsTakeSpansDatesAndTimes() throws {
        let now = Self.now.addingTimeInterval(0.4)
        func since(_ text: String) throws -> String { try CostWindow.parse(since: text, until: nil, now: now).sinceText }
        #expect(try since("24h") == "2026-11-28T12:00:00Z")
        #expect(try since("7d") == "2026-11-22T12:00:00Z")
        #expect(try since("2w") == "2026-11-15T12:00:00Z")
        #expect(try since("30m") == "2026-11-29T11:30:00Z")
        #expect(try since("1h30m") == "2026-11-29T10:30:00Z")
        #expect(try since("2026-11-01") == "2026-11-01T00:00:00Z")
        #expect(try since("2026-11-01T12:00:00Z") == "2026-11-01T12:00:00Z")
        // Until now includes this second's rows: the window ends on the next one.
        #expect(try CostWindow.parse(since: "1h", until: nil, now: now).untilText == "2026-11-29T12:00:01Z")
        #expect(try CostWindow.parse(since: "2026-11-01", until: "2026-11-02", now: now).untilText == "2026-11-02T00:00:00Z")
        #expect(try CostWindow.parse(since: "2d", until: "1d", now: now).untilText == "2026-11-28T12:00:00Z")
        let periods = BudgetPeriods(now: now)
        #expect(periods.dayText == "2026-11-29T00:00:00Z" && periods.monthText == "2026-11-01T00:00:00Z")
    }

    @Test(arguments: ["3x", "", "24", "-1d", "0d", "yesterday", "2026-13-01", "1d2h", "500ms"])
    func badSinceSaysWhatIsAccepted(_ text: String) {
        #expect(throws: ValidationError.self) { try CostWindow.parse(since: text, until: nil, now: Self.now) }
        do {
            _ = try CostWindow.parse(since: text, until: nil, now: Self.now)
        } catch {
            #expect("\(error)".contains("30m, 24h, 7d") && "\(error)".contains("2026-11-01T12:00:00Z"))
        }
    }

    @Test func anEmptyWindowIsRefused() {
        #expect(throws: ValidationError.self) { try CostWindow.parse(since: "1d", until: "2d", now: Self.now) }
        #expect(throws: ValidationError.self) { try CostWindow.parse(since: "1d", until: "soon", now: Self.now) }
    }

    @Test func moneyAndBars() {
        #expect(Money.text(Decimal(string: "1.234") ?? 0) == "$1.23")
        #expect(Money.text(Decimal(string: "1234.5") ?? 0) == "$1234.50")
        #expect(Money.text(0) == "$0.00")
        #expect(Money.text(Decimal(string: "0.000312") ?? 0, places: 6) == "$0.000312")
        #expect(Money.places(toShow: 12) == 2 && Money.places(toShow: 1) == 2 && Money.places(toShow: Decimal(string: "0.5") ?? 0) == 3)
        #expect(Money.places(toShow: Decimal(string: "0.0503") ?? 0) == 4 && Money.places(toShow: Decimal(string: "0.0066") ?? 0) == 5)
        #expect(Money.places(toShow: Decimal(string: "0.0000001") ?? 0) == 6 && Money.places(toShow: 0) == 2)
        #expect(Money.text(Decimal(string: "-0.5") ?? 0) == "-$0.50")
        #expect(Money.percent(25) == "25%" && Money.percent(Decimal(string: "2.46") ?? 0) == "2.5%")
        #expect(CostReport.bar(1, of: 1, width: 24) == String(repeating: "█", count: 24))
        #expect(CostReport.bar(Decimal(string: "0.5") ?? 0, of: 1, width: 4) == "██")
        #expect(CostReport.bar(Decimal(string: "0.1") ?? 0, of: 1, width: 4) == "▍")
        #expect(CostReport.bar(0, of: 1, width: 4) == "")
    }

    @Test func tableJSONAndCSV() throws {
        let report = try Self.report(.route, unreachable: [NodeFailure(node: "c", error: "unreachable (connection refused)")])
        let plain = report.table(usesColor: false)
        #expect(plain.contains("ROUTE") && plain.contains("SPEND") && plain.contains("SAVED") && plain.contains("TODAY"))
        #expect(plain.contains("from 2 of 3 nodes"))
        #expect(plain.split(separator: "\n").contains { $0.hasPrefix("TOTAL ") && $0.contains("$0.0503 ") && $0.contains("$0.0247 (33%)") })
        #expect(plain.contains("█") && !plain.contains("\u{1B}["))
        #expect(report.table(usesColor: true).contains("\u{1B}[36m█"))

        let json = try #require(try JSONSerialization.jsonObject(with: Data(report.json().utf8)) as? [String: Any])
        #expect(json["by"] as? String == "route")
        #expect(json["nodes"] as? [String] == ["a", "b", "c"])
        #expect((json["unreachable"] as? [[String: Any]])?.first?["node"] as? String == "c")
        #expect((json["total"] as? [String: Any])?["spend"] as? String == "0.0503")
        let groups = try #require(json["groups"] as? [[String: Any]])
        #expect(groups.first?["saved"] as? String == "0.0247" && groups.first?["requests"] as? Int == 4)
        #expect(((groups.first?["budget"] as? [String: Any])?["today"] as? [String: Any])?["limit"] as? String == "1")

        let csv = report.csv().split(separator: "\n").map(String.init)
        #expect(csv.first == "route,requests,errors,tokens_in,tokens_out,cached_tokens,spend,baseline,saved,saved_percent,today_spent,today_budget,month_spent,month_budget")
        #expect(csv.count == 3 && csv[1].hasPrefix("auto,4,1,3100,1500,1000,0.0463,0.071,0.0247,34.79,0,1,0,10"))
        #expect(CostReport.csvField("a,\"b\"") == "\"a,\"\"b\"\"\"")
    }

    @Test func theCommandSaysWhatToDoWithoutAStoreOrNodesAndExits1ForAnUnreachableNode() throws {
        try withTemporaryDirectory { home in
            let empty = lumenctl(["costs"], home: home)
            #expect(empty.exitCode == 1 && empty.error.contains("apply manifests first"), "\(empty)")
            #expect(lumenctl(["costs", "--since", "yesterday"], home: home).exitCode == 64)

            let models = try writeFile(home, "m.yaml", Fixtures.minimal)
            #expect(lumenctl(["apply", "-f", models], home: home).exitCode == 0)
            let noNodes = lumenctl(["costs"], home: home)
            #expect(noNodes.exitCode == 1 && noNodes.error.contains("apply a Node manifest with spec.adminAddress"), "\(noNodes)")

            let node = try writeFile(home, "n.yaml", """
                apiVersion: lumen.ai/v1
                kind: Node
                metadata: {name: gone}
                spec: {address: "http://127.0.0.1:1", adminAddress: "http://127.0.0.1:1"}
                """)
            _ = lumenctl(["apply", "-f", node], home: home)
            // Without a cluster token no node can be read (the end-to-end tests stop a real agent).
            let unreachable = lumenctl(["costs", "--by", "node"], home: home)
            #expect(unreachable.exitCode == 1, "\(unreachable)")
            #expect(unreachable.error.contains("node/gone: no cluster token") && unreachable.error.contains("missing from these totals"), "\(unreachable)")
            #expect(unreachable.output.contains("from 0 of 1 node") && unreachable.output.contains("TOTAL"), "\(unreachable)")
        }
    }
}
