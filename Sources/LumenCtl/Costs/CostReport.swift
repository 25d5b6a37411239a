import ArgumentParser
import Foundation
import LumenManifest
import LumenStore

/// How `lumenctl costs` groups ledger rows.
enum CostGrouping: String, CaseIterable, ExpressibleByArgument, Sendable {
    case route, model, key, node, day

    /// Routes and keys carry budgets; the other groupings have none to compare with.
    var hasBudgets: Bool { self == .route || self == .key }

    /// The group of a row whose field is empty: a pinned request has no route, a refused one may have no key or model.
    func name(of row: LedgerRow) -> String {
        switch self {
        case .route: row.record.route ?? "(pinned)"
        case .model: row.record.model ?? "(none)"
        case .key: row.record.keyName ?? "(none)"
        case .node: row.node
        case .day: String(row.record.at.prefix(10))
        }
    }
}

/// One usage-ledger row and the node whose agent wrote it.
struct LedgerRow: Sendable {
    var node: String
    var record: UsageRecord

    /// The row's cost as the exact decimal the ledger wrote; a row that cannot be read counts as nothing.
    var cost: Decimal { Decimal(string: record.cost, locale: Locale(identifier: "en_US_POSIX")) ?? 0 }
}

/// What a report needs from the control store: model prices, route candidates, budgets.
struct PriceBook: Sendable {
    struct Budget: Equatable, Sendable {
        var daily: Decimal?
        var monthly: Decimal?
    }

    var models: [String: ModelSpec]
    var routes: [String: RouteSpec]
    var keyBudgets: [String: Budget]

    init(models: [String: ModelSpec], routes: [String: RouteSpec], keyBudgets: [String: Budget] = [:]) {
        self.models = models
        self.routes = routes
        self.keyBudgets = keyBudgets
    }

    init(snapshot: Snapshot) {
        var models: [String: ModelSpec] = [:], routes: [String: RouteSpec] = [:]
        for manifest in snapshot.manifests {
            switch manifest.spec {
            case .model(let spec): models[manifest.name] = spec
            case .route(let spec): routes[manifest.name] = spec
            default: break
            }
        }
        var keyBudgets: [String: Budget] = [:]
        for key in snapshot.keys where key.dailyBudget != nil || key.monthlyBudget != nil {
            keyBudgets[key.name] = Budget(daily: key.dailyBudget?.amount, monthly: key.monthlyBudget?.amount)
        }
        self.init(models: models, routes: routes, keyBudgets: keyBudgets)
    }

    /// The candidate a route would send everything to if cost were no object: the highest
    /// quality, and of equals the one with the higher output price.
    func strongest(ofRoute route: String) -> ModelSpec? {
        let candidates = routes[route]?.candidates.compactMap { models[$0] } ?? []
        return candidates.max { ($0.quality, $0.pricing.outputPerMTok.amount) < ($1.quality, $1.pricing.outputPerMTok.amount) }
    }

    /// What a routed request would have cost on its route's strongest candidate, with the same tokens.
    /// A pinned request, or one whose route or models are gone from the store, costs what it cost.
    func baseline(of row: LedgerRow) -> Decimal {
        guard let route = row.record.route, let strongest = strongest(ofRoute: route) else { return row.cost }
        return strongest.pricing.cost(prompt: row.record.promptTokens, completion: row.record.completionTokens,
                                      cached: row.record.cachedTokens)
    }

    /// Whether any group of `grouping` has a budget, so this month's rows are worth reading.
    func hasBudgets(_ grouping: CostGrouping) -> Bool {
        switch grouping {
        case .route: routes.values.contains { $0.budget?.daily != nil || $0.budget?.monthly != nil }
        case .key: !keyBudgets.isEmpty
        case .model, .node, .day: false
        }
    }

    func budget(of group: String, by grouping: CostGrouping) -> Budget? {
        switch grouping {
        case .route:
            guard let budget = routes[group]?.budget, budget.daily != nil || budget.monthly != nil else { return nil }
            return Budget(daily: budget.daily?.amount, monthly: budget.monthly?.amount)
        case .key: return keyBudgets[group]
        case .model, .node, .day: return nil
        }
    }
}

/// Spend in a budget period against its limit, fleet-wide; `spentByNode` shows what each agent,
/// which enforces the budget on its own ledger, has counted.
struct BudgetUse: Equatable, Sendable {
    var limit: Decimal
    var spent: Decimal = 0
    var spentByNode: [String: Decimal] = [:]

    /// Percent of the limit spent; a zero limit is spent by any cost.
    var percent: Decimal {
        limit > 0 ? spent / limit * 100 : (spent > 0 ? 100 : 0)
    }
}

/// One line of a report: a group's requests, tokens, spend and savings.
struct CostLine: Equatable, Sendable {
    var name: String
    var requests = 0
    /// Requests Lumen or the upstream failed (outcome `failed`).
    var errors = 0
    var tokensIn = 0
    var tokensOut = 0
    var cachedTokens = 0
    var spend: Decimal = 0
    /// The same requests priced on their routes' strongest candidates.
    var baseline: Decimal = 0
    var today: BudgetUse?
    var thisMonth: BudgetUse?

    init(name: String) {
        self.name = name
    }

    /// What routing saved against always using the strongest candidate.
    var saved: Decimal { baseline - spend }

    /// `saved` as a percent of the baseline; `nil` when there was nothing to save from.
    var savedPercent: Decimal? { baseline > 0 ? saved / baseline * 100 : nil }

    /// Adds a row; `baseline: false` counts what it cost as its baseline (nothing saved).
    mutating func add(_ row: LedgerRow, prices: PriceBook, baseline withBaseline: Bool = true) {
        requests += 1
        if row.record.outcome == .failed { errors += 1 }
        tokensIn += row.record.promptTokens
        tokensOut += row.record.completionTokens
        cachedTokens += row.record.cachedTokens
        spend += row.cost
        baseline += withBaseline ? prices.baseline(of: row) : row.cost
    }
}

/// A node `lumenctl costs` could not read, and why.
struct NodeFailure: Equatable, Sendable {
    var node: String
    var error: String
}

/// `lumenctl costs`: every node's ledger rows in a window, grouped, with budgets and savings.
struct CostReport: Sendable {
    var grouping: CostGrouping
    var window: CostWindow
    var periods: BudgetPeriods
    var nodesAsked: [String]
    var unreachable: [NodeFailure]
    var groups: [CostLine]
    /// Client traffic only: what the groups add up to.
    var total: CostLine
    /// Shadow tests' mirrored requests (shadow rows), apart from the groups: nobody's budget pays for them.
    var shadow: CostLine
    /// Requests agents served for other agents (peer rows): the calling agent's client row bills each, so they add nothing here.
    var peerRequests: Int

    /// Aggregates `rows` (the window's) by `grouping`; `budgetRows` (this month's and so today's)
    /// fill the budget columns of routes and keys.
    static func build(
        rows: [LedgerRow], budgetRows: [LedgerRow], grouping: CostGrouping, window: CostWindow, periods: BudgetPeriods,
        prices: PriceBook, nodesAsked: [String], unreachable: [NodeFailure]
    ) -> CostReport {
        var lines: [String: CostLine] = [:]
        if grouping == .node {
            // A node that answered with no rows still gets its line, so silence reads as zero, not as missing.
            for node in nodesAsked where !unreachable.contains(where: { $0.node == node }) { lines[node] = CostLine(name: node) }
        }
        var total = CostLine(name: "TOTAL")
        var shadow = CostLine(name: "SHADOW TESTS")
        var peerRequests = 0
        for row in rows {
            switch row.record.origin {
            case .client: break
            case .peer:
                peerRequests += 1
                continue
            case .shadow:
                shadow.add(row, prices: prices, baseline: false)
                continue
            }
            let name = grouping.name(of: row)
            lines[name, default: CostLine(name: name)].add(row, prices: prices)
            total.add(row, prices: prices)
        }
        if grouping.hasBudgets {
            for name in Array(lines.keys) {
                guard let budget = prices.budget(of: name, by: grouping) else { continue }
                lines[name]?.today = budget.daily.map { BudgetUse(limit: $0) }
                lines[name]?.thisMonth = budget.monthly.map { BudgetUse(limit: $0) }
            }
            let dayText = periods.dayText, monthText = periods.monthText
            for row in budgetRows where row.record.at >= monthText && row.record.origin == .client {
                let name = grouping.name(of: row)
                guard lines[name] != nil else { continue }
                let cost = row.cost
                if row.record.at >= dayText { lines[name]?.today?.add(cost, node: row.node) }
                lines[name]?.thisMonth?.add(cost, node: row.node)
            }
        }
        let groups = lines.values.sorted { lhs, rhs in
            switch grouping {
            case .day, .node: lhs.name < rhs.name
            case .route, .model, .key: lhs.spend != rhs.spend ? lhs.spend > rhs.spend : lhs.name < rhs.name
            }
        }
        return CostReport(grouping: grouping, window: window, periods: periods, nodesAsked: nodesAsked.sorted(),
                          unreachable: unreachable, groups: groups, total: total, shadow: shadow, peerRequests: peerRequests)
    }
}

extension BudgetUse {
    mutating func add(_ cost: Decimal, node: String) {
        spent += cost
        spentByNode[node, default: 0] += cost
    }
}
