import ArgumentParser
import Foundation
import LumenStore

/// `lumenctl costs`: spend from every node's usage ledger, grouped, against budgets, with what routing saved.
struct Costs: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show spend from every node's usage ledger: requests, errors, tokens, cost, budgets and what routing saved.",
        discussion: """
            Every agent is asked for its ledger rows that started in the window, all at once, and the rows are summed \
            exactly (USD decimals, never floats). SAVED is what routing saved against sending each routed request to its \
            route's strongest candidate (highest quality, then highest output price) with the same tokens; pinned requests \
            save nothing. With --by route or key, TODAY and THIS MONTH put the UTC day's and month's spend of all nodes \
            against the budget. An unreachable node is reported on stderr and the command exits 1: the totals lack its spend.
            """
    )

    @OptionGroup var home: HomeOptions
    @Option(help: ArgumentHelp("Start of the window: a span back from now (30m, 24h, 7d) or a UTC date or time (2026-11-01, 2026-11-01T12:00:00Z).",
                               valueName: "when"))
    var since = "24h"
    @Option(help: ArgumentHelp("End of the window, excluded: a span back from now, a UTC date or time, or now (default).", valueName: "when"))
    var until: String?
    @Option(help: "Group by route, model, key, node or day.")
    var by: CostGrouping = .route
    @Option(name: .shortAndLong, help: "Output format: table, json or csv.")
    var output: CostsFormat = .table

    func validate() throws {
        _ = try CostWindow.parse(since: since, until: until, now: Date())
    }

    func run() throws {
        let console = Console.current
        let now = Date()
        let window = try CostWindow.parse(since: since, until: until, now: now)
        guard let store = try home.existingStore(), let snapshot = try store.snapshot() else { throw CommandFailure.emptyStore(home.path) }
        let nodes = StatePush.addressedNodes(snapshot)
        guard !nodes.isEmpty else {
            throw CommandFailure("no Node has an adminAddress, so there is no agent to ask for its ledger; apply a Node manifest with spec.adminAddress")
        }
        let prices = PriceBook(snapshot: snapshot)
        let client = AdminClient(token: AdminClient.token(environment: console.environment, home: home.path))
        var failures: [String: String] = [:]
        let rows = try Self.ledger(client, nodes, since: window.sinceText, until: window.untilText, failures: &failures)

        // Budgets count the UTC day and month whatever the window: read this month unless the window holds it.
        let periods = BudgetPeriods(now: now)
        var budgetRows: [LedgerRow] = []
        if prices.hasBudgets(by) {
            budgetRows = window.since <= periods.monthStart && window.until > now
                ? rows : try Self.ledger(client, nodes, since: periods.monthText, until: nil, failures: &failures)
        }
        let report = CostReport.build(
            rows: rows, budgetRows: budgetRows, grouping: by, window: window, periods: periods, prices: prices,
            nodesAsked: nodes.map(\.name),
            unreachable: failures.sorted { $0.key < $1.key }.map { NodeFailure(node: $0.key, error: $0.value) })
        for failure in report.unreachable {
            console.writeError("node/\(failure.node): \(failure.error); its spend is missing from these totals, run lumenctl costs again once it answers\n")
        }
        switch output {
        case .table: console.write(report.table(usesColor: console.usesColor))
        case .json: console.write(report.json())
        case .csv: console.write(report.csv())
        }
        if !report.unreachable.isEmpty { throw ExitCode(1) }
    }

    /// Every node's rows that started in [since, until), asked all at once; a node that fails is in `failures`.
    static func ledger(_ client: AdminClient, _ nodes: [(name: String, admin: String)], since: String, until: String?,
                       failures: inout [String: String]) throws -> [LedgerRow] {
        var query = "since=\(since)&limit=\(Int32.max)"
        if let until { query += "&until=\(until)" }
        var rows: [LedgerRow] = []
        let decoder = JSONDecoder()
        for result in try client.read("/v1/usage?\(query)", of: nodes) {
            if let error = result.error {
                failures[result.node] = failures[result.node] ?? error
                continue
            }
            do {
                let records = try decoder.decode([UsageRecord].self, from: result.body ?? Data())
                rows += records.map { LedgerRow(node: result.node, record: $0) }
            } catch {
                failures[result.node] = failures[result.node]
                    ?? "its agent answered /v1/usage with something other than ledger rows (\(error)); run a lumen-agent as new as this lumenctl"
            }
        }
        return rows
    }
}
