import ArgumentParser
import Foundation
import LumenAPI

/// How `lumenctl costs` prints a report.
enum CostsFormat: String, CaseIterable, ExpressibleByArgument {
    case table, json, csv
}

extension CostReport {
    /// The table: one line per group, TOTAL last, and a bar of each group's share of the spend.
    func table(usesColor: Bool) -> String {
        var headers = [grouping.rawValue.uppercased(), "REQUESTS", "ERRORS", "TOKENS IN", "TOKENS OUT", "CACHED", "SPEND", "SAVED"]
        if grouping.hasBudgets { headers += ["TODAY", "THIS MONTH"] }
        headers.append("SHARE OF SPEND")
        var table = Table(headers: headers)
        let largest = groups.map(\.spend).max() ?? 0
        let places = Money.places(toShow: max(total.spend, total.baseline))
        for line in groups {
            var bar = Self.bar(line.spend, of: largest, width: 24)
            if usesColor && !bar.isEmpty { bar = "\u{1B}[36m\(bar)\u{1B}[0m" }
            let share = total.spend > 0 ? " " + Money.percent(line.spend / total.spend * 100) : ""
            table.rows.append(cells(line, places: places) + [bar + share])
        }
        table.rows.append(cells(total, places: places) + [""])
        if shadow.requests > 0 { table.rows.append(cells(shadow, places: places, budgets: false) + [""]) }
        var text = "Spend from \(window.sinceText) to \(window.untilText) by \(grouping.rawValue), "
            + "from \(nodesAsked.count - unreachable.count) of \(nodesAsked.count) node\(nodesAsked.count == 1 ? "" : "s")\n\n"
        text += table.render()
        text += "\nSAVED: against sending each routed request to its route's strongest candidate with the same tokens."
        if shadow.requests > 0 {
            text += "\nSHADOW TESTS: what shadow tests' mirrored requests cost; not in TOTAL, and no budget pays for them."
        }
        if peerRequests > 0 {
            text += "\n\(peerRequests) request\(peerRequests == 1 ? "" : "s") served for other agents are not counted: the agent each client called bills it."
        }
        if grouping.hasBudgets {
            text += "\nTODAY, THIS MONTH: UTC periods, spend of every node against the budget (each agent enforces it on its own ledger)."
        }
        return text + "\n"
    }

    private func cells(_ line: CostLine, places: Int, budgets: Bool = true) -> [String] {
        var row = [line.name, String(line.requests), String(line.errors), String(line.tokensIn), String(line.tokensOut),
                   String(line.cachedTokens), Money.text(line.spend, places: places),
                   line.savedPercent.map { "\(Money.text(line.saved, places: places)) (\(Money.percent($0)))" } ?? "-"]
        if grouping.hasBudgets && !budgets {
            row += ["-", "-"]
        } else if grouping.hasBudgets {
            for use in [line.today, line.thisMonth] {
                row.append(use.map {
                    "\(Money.text($0.spent, places: max(places, Money.places(toShow: $0.spent)))) of \(Money.text($0.limit)) (\(Money.percent($0.percent)))"
                } ?? "-")
            }
        }
        return row
    }

    /// A horizontal bar in eighths of a block: `value` against `largest`, `width` blocks at most.
    static func bar(_ value: Decimal, of largest: Decimal, width: Int) -> String {
        guard largest > 0, value > 0 else { return "" }
        let eighths = max(1, Int((NSDecimalNumber(decimal: value / largest).doubleValue * Double(width * 8)).rounded()))
        let partial = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"]
        return String(repeating: "█", count: eighths / 8) + partial[eighths % 8]
    }

    /// Machine-readable: money as exact decimal strings, percents as numbers.
    func json() -> String {
        let value: JSONValue = .map([
            .init("by", .string(grouping.rawValue)),
            .init("window", .map([.init("since", .string(window.sinceText)), .init("until", .string(window.untilText))])),
            .init("budgetPeriods", .map([.init("day", .string(periods.dayText)), .init("month", .string(periods.monthText))])),
            .init("nodes", .list(nodesAsked.map(JSONValue.string))),
            .init("unreachable", .list(unreachable.map {
                .map([.init("node", .string($0.node)), .init("error", .string($0.error))])
            })),
            .init("groups", .list(groups.map { json($0, budgets: grouping.hasBudgets) })),
            .init("total", json(total, budgets: false)),
            .init("shadow", json(shadow, budgets: false)),
            .init("peerRequests", .number(String(peerRequests))),
        ])
        return value.json() + "\n"
    }

    private func json(_ line: CostLine, budgets: Bool) -> JSONValue {
        var entries: [JSONValue.Entry] = [
            .init("name", .string(line.name)), .init("requests", .number(String(line.requests))),
            .init("errors", .number(String(line.errors))), .init("tokensIn", .number(String(line.tokensIn))),
            .init("tokensOut", .number(String(line.tokensOut))), .init("cachedTokens", .number(String(line.cachedTokens))),
            .init("spend", .string(Money.exact(line.spend))), .init("baseline", .string(Money.exact(line.baseline))),
            .init("saved", .string(Money.exact(line.saved))),
            .init("savedPercent", line.savedPercent.map { .number(Money.fixed($0, places: 2)) } ?? .null),
        ]
        func use(_ use: BudgetUse?) -> JSONValue {
            guard let use else { return .null }
            return .map([
                .init("limit", .string(Money.exact(use.limit))), .init("spent", .string(Money.exact(use.spent))),
                .init("percent", .number(Money.fixed(use.percent, places: 2))),
                .init("byNode", .map(use.spentByNode.sorted { $0.key < $1.key }.map { .init($0.key, .string(Money.exact($0.value))) })),
            ])
        }
        if budgets { entries.append(.init("budget", .map([.init("today", use(line.today)), .init("thisMonth", use(line.thisMonth))]))) }
        return .map(entries)
    }

    /// A header row and one row per group (no total: a spreadsheet sums the columns itself).
    func csv() -> String {
        var header = [grouping.rawValue, "requests", "errors", "tokens_in", "tokens_out", "cached_tokens", "spend", "baseline", "saved", "saved_percent"]
        if grouping.hasBudgets { header += ["today_spent", "today_budget", "month_spent", "month_budget"] }
        var lines = [header.joined(separator: ",")]
        for line in groups {
            var cells = [Self.csvField(line.name), String(line.requests), String(line.errors), String(line.tokensIn), String(line.tokensOut),
                         String(line.cachedTokens), Money.exact(line.spend), Money.exact(line.baseline), Money.exact(line.saved),
                         line.savedPercent.map { Money.fixed($0, places: 2) } ?? ""]
            if grouping.hasBudgets {
                for use in [line.today, line.thisMonth] {
                    cells += [use.map { Money.exact($0.spent) } ?? "", use.map { Money.exact($0.limit) } ?? ""]
                }
            }
            lines.append(cells.joined(separator: ","))
        }
        if shadow.requests > 0 {
            var cells = ["(shadow tests)", String(shadow.requests), String(shadow.errors), String(shadow.tokensIn), String(shadow.tokensOut),
                         String(shadow.cachedTokens), Money.exact(shadow.spend), Money.exact(shadow.baseline), Money.exact(shadow.saved), ""]
            if grouping.hasBudgets { cells += ["", "", "", ""] }
            lines.append(cells.joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// RFC 4180: quoted when it holds a comma, a quote or a line break.
    static func csvField(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}

/// Dollar amounts as people read them and as machines keep them.
enum Money {
    /// `$1.23`, or with `places` decimals.
    static func text(_ amount: Decimal, places: Int = 2) -> String {
        (amount < 0 ? "-$" : "$") + fixed(amount < 0 ? -amount : amount, places: places)
    }

    /// Cents from a dollar up; below that, decimals enough for three significant digits of `largest`
    /// (at most 6), so a test-sized spend does not read as `$0.00` and one table keeps one precision.
    static func places(toShow largest: Decimal) -> Int {
        var places = 2, threshold = Decimal(1)
        while largest < threshold && places < 6 {
            threshold /= 10
            places += 1
        }
        return largest == 0 ? 2 : places
    }

    /// The exact decimal, never rounded: what billing data and scripts compare.
    static func exact(_ amount: Decimal) -> String {
        amount.description
    }

    /// `25%`, `2.5%`: whole percents from 10 up.
    static func percent(_ value: Decimal) -> String {
        let magnitude = value < 0 ? -value : value
        return fixed(value, places: magnitude >= 10 || magnitude == 0 ? 0 : 1) + "%"
    }

    /// Rounded half away from zero to `places` decimals, with exactly that many written.
    static func fixed(_ value: Decimal, places: Int) -> String {
        var source = value, rounded = Decimal()
        NSDecimalRound(&rounded, &source, places, .plain)
        var text = rounded.description
        guard places > 0 else { return text }
        if !text.contains(".") { text += "." }
        let decimals = text.split(separator: ".", omittingEmptySubsequences: false).last?.count ?? 0
        return text + String(repeating: "0", count: max(0, places - decimals))
    }
}
