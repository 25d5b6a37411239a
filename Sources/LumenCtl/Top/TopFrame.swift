import Foundation

/// One screenful of `lumenctl top`, drawn from a sample alone: no I/O, so tests render plain values.
struct TopFrame {
    var sample: FleetSample
    /// Columns to fit; `nil` leaves lines as long as they are (a pipe).
    var width: Int?
    /// Rows to fit; `nil` prints every line (`--once`).
    var height: Int?
    var colored: Bool
    /// What the live view tells the operator, e.g. how to quit.
    var hint: String?

    func render() -> String {
        lines().joined(separator: "\n") + "\n"
    }

    func lines() -> [String] {
        var frame = self
        // Narrower than this and nothing useful fits; a wider line beats a garbled one.
        frame.width = width.map { max($0, 24) }
        return frame.laidOut()
    }

    private func laidOut() -> [String] {
        // The title is styled after it is cut, so colour codes never count towards the width.
        let title = fit("lumenctl top · " + Self.clock(sample.takenAt) + (hint.map { " · " + $0 } ?? ""))
        var lines = [bold("lumenctl top") + title.dropFirst("lumenctl top".count), fit(summary)]
        lines.append("")
        lines += nodesSection.lines(width: width, colored: colored)
        lines.append("")
        lines += replicasSection.lines(width: width, colored: colored)
        lines.append("")
        lines += providersSection.lines(width: width, colored: colored)
        if let height, lines.count > height, height >= 2 {
            let hidden = lines.count - (height - 1)
            lines = Array(lines.prefix(height - 1)) + [fit("… \(hidden) more lines; make the window taller to see them")]
        }
        return lines
    }

    /// A frame for before the first answers arrive.
    static func waiting(nodes: Int, width: Int?) -> [String] {
        ["lumenctl top · asking \(nodes) node\(nodes == 1 ? "" : "s")…"].map { width.map($0.truncated) ?? $0 }
    }

    // MARK: Sections

    private var summary: String {
        let usage = sample.fleetUsage
        var parts = [
            "nodes \(sample.reachableCount)/\(sample.nodes.count) up",
            "\(Self.rate(usage.requests, sample.windowSeconds)) req/s",
            "tokens/s \(Self.tokens(usage.promptTokens, sample.windowSeconds)) in, \(Self.tokens(usage.completionTokens, sample.windowSeconds)) out",
            "\(Self.dollarsPerHour(usage.cost, sample.windowSeconds))/h",
            "\(usage.failed) error\(usage.failed == 1 ? "" : "s")",
        ]
        parts[parts.count - 1] += " (last \(Int(sample.windowSeconds))s)"
        return parts.joined(separator: " · ")
    }

    private var nodesSection: TopSection {
        var section = TopSection(title: "NODES", headers: ["NODE", "STATUS", "REVISION", "VERSION", "IN-FLIGHT", "REQ/S", "$/H", "WHY"],
                                 shrinkFirst: [7, 0, 3], empty: "no nodes")
        for node in sample.nodes {
            guard let unreachable = node.unreachableReason else {
                let usage = node.usage
                var why = node.usageError.map { "no ledger: \($0)" } ?? ""
                if !node.warnings.isEmpty {
                    why = ([node.warnings.count == 1 ? "1 warning: \(node.warnings[0])" : "\(node.warnings.count) warnings: \(node.warnings[0])"]
                        + (why.isEmpty ? [] : [why])).joined(separator: "; ")
                }
                section.rows.append([
                    .init(node.name), .init("up", .green), .init(node.revision.map(String.init) ?? "-"), .init(node.version ?? "-"),
                    .init(String(node.inFlight)), .init(usage.map { Self.rate($0.requests, sample.windowSeconds) } ?? "-"),
                    .init(usage.map { Self.dollarsPerHour($0.cost, sample.windowSeconds) } ?? "-"), .init(why, node.warnings.isEmpty ? nil : .yellow),
                ])
                continue
            }
            section.rows.append([.init(node.name), .init("unreachable", .red), .init("-"), .init("-"), .init("-"), .init("-"), .init("-"),
                                 .init(Self.shortReason(unreachable))])
        }
        return section
    }

    private var replicasSection: TopSection {
        var section = TopSection(
            title: "MODELS / REPLICAS",
            headers: ["NODE", "MODEL", "REPLICA", "STATE", "IN-FLIGHT", "TTFT P50", "TTFT P99", "ITL P50", "ERRORS", "REQ/S", "WHY"],
            shrinkFirst: [10, 2, 1, 0], empty: "no replicas on reachable nodes")
        for node in sample.nodes where node.isReachable {
            for upstream in node.upstreams.filter({ !$0.isProvider }).sorted(by: { ($0.model, $0.id) < ($1.model, $1.id) }) {
                section.rows.append([
                    .init(node.name), .init(upstream.model), .init(Self.replicaName(upstream.id)), Self.state(upstream.state),
                    .init(String(upstream.inFlight)), .init(Self.milliseconds(upstream.ttftP50Milliseconds)),
                    .init(Self.milliseconds(upstream.ttftP99Milliseconds)), .init(Self.milliseconds(upstream.interTokenP50Milliseconds)),
                    .init(Self.errors(upstream)), .init(Self.rate(node.usageByUpstream[upstream.id]?.requests ?? 0, sample.windowSeconds)),
                    .init(upstream.reason),
                ])
            }
        }
        return section
    }

    private var providersSection: TopSection {
        var section = TopSection(
            title: "PROVIDERS",
            headers: ["NODE", "PROVIDER", "MODEL", "STATE", "IN-FLIGHT", "TTFT P50", "TTFT P99", "ERRORS", "REQ/S", "$/H", "WHY"],
            shrinkFirst: [10, 2, 1, 0], empty: "no providers on reachable nodes")
        for node in sample.nodes where node.isReachable {
            for upstream in node.upstreams.filter(\.isProvider).sorted(by: { ($0.id, $0.model) < ($1.id, $1.model) }) {
                let usage = node.usageByUpstream[upstream.id] ?? .init()
                section.rows.append([
                    .init(node.name), .init(String(upstream.id.dropFirst("provider/".count))), .init(upstream.model), Self.state(upstream.state),
                    .init(String(upstream.inFlight)), .init(Self.milliseconds(upstream.ttftP50Milliseconds)),
                    .init(Self.milliseconds(upstream.ttftP99Milliseconds)), .init(Self.errors(upstream)),
                    .init(Self.rate(usage.requests, sample.windowSeconds)), .init(Self.dollarsPerHour(usage.cost, sample.windowSeconds)),
                    .init(upstream.reason),
                ])
            }
        }
        return section
    }

    // MARK: Cells

    private static func state(_ state: String) -> TopSection.Cell {
        switch state {
        case "healthy": .init(state, .green)
        case "degraded": .init(state, .yellow)
        case "ejected": .init(state, .red)
        default: .init(state, .cyan)
        }
    }

    /// `endpoint/http://10.0.0.7:8000/v1` reads as the address alone.
    static func replicaName(_ id: String) -> String {
        id.hasPrefix("endpoint/") ? String(id.dropFirst("endpoint/".count)) : id
    }

    /// The admin client says `unreachable (connection refused)`; the column already says unreachable.
    static func shortReason(_ reason: String) -> String {
        if reason.hasPrefix("unreachable ("), reason.hasSuffix(")") { return String(reason.dropFirst("unreachable (".count).dropLast()) }
        return reason
    }

    private static func errors(_ upstream: FleetSample.Upstream) -> String {
        String(format: "%.0f%% of %d", upstream.errorRate * 100, upstream.requests)
    }

    static func milliseconds(_ value: Double?) -> String {
        value.map { String(format: "%.1f ms", $0) } ?? "-"
    }

    static func rate(_ count: Int, _ seconds: Double) -> String {
        String(format: "%.2f", seconds > 0 ? Double(count) / seconds : 0)
    }

    static func tokens(_ count: Int, _ seconds: Double) -> String {
        String(format: "%.1f", seconds > 0 ? Double(count) / seconds : 0)
    }

    /// Spend over the window scaled to an hour: `$0`, `$0.0123`, `$12.40`.
    static func dollarsPerHour(_ cost: Decimal, _ seconds: Double) -> String {
        guard seconds > 0, cost != 0 else { return "$0" }
        let perHour = NSDecimalNumber(decimal: cost).doubleValue * 3600 / seconds
        return perHour < 1 ? String(format: "$%.4f", perHour) : String(format: "$%.2f", perHour)
    }

    static func clock(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "HH:mm:ss"
        return formatter.string(from: date)
    }

    // MARK: Lines

    private func bold(_ text: String) -> String {
        colored ? "\u{1B}[\(Console.Style.bold.rawValue)m\(text)\u{1B}[0m" : text
    }

    private func fit(_ line: String) -> String {
        width.map { line.truncated(to: $0) } ?? line
    }
}

/// A titled table of a frame: columns two spaces apart, shrunk column by column to fit a width.
struct TopSection {
    struct Cell {
        var text: String
        var style: Console.Style?

        init(_ text: String, _ style: Console.Style? = nil) {
            self.text = text
            self.style = style
        }
    }

    var title: String
    var headers: [String]
    var rows: [[Cell]] = []
    /// Columns that give up width when the line is too long, the most willing first.
    var shrinkFirst: [Int]
    /// Said under the title when there are no rows.
    var empty: String

    init(title: String, headers: [String], shrinkFirst: [Int], empty: String) {
        self.title = title
        self.headers = headers
        self.shrinkFirst = shrinkFirst
        self.empty = empty
    }

    /// Narrowest a shrinking column gets; `…` plus a few characters still says something.
    private static let narrowest = 6

    func lines(width: Int?, colored: Bool) -> [String] {
        let title = colored ? "\u{1B}[\(Console.Style.bold.rawValue)m\(title)\u{1B}[0m" : title
        guard !rows.isEmpty else { return [title, "  (\(empty))"].map { width.map($0.truncated) ?? $0 } }
        let widths = columnWidths(fitting: width)
        let header = line(headers.map { Cell($0) }, widths: widths, width: width, colored: colored)
        return [title, header] + rows.map { line($0, widths: widths, width: width, colored: colored) }
    }

    /// Each column as wide as its widest cell; then, while the line is too long, the columns named
    /// in `shrinkFirst` narrow in turn, each down to its share before the next one gives.
    func columnWidths(fitting width: Int?) -> [Int] {
        var widths = headers.map(\.count)
        for row in rows {
            for (index, cell) in row.enumerated() where index < widths.count {
                widths[index] = max(widths[index], cell.text.count)
            }
        }
        guard let width else { return widths }
        var excess = widths.reduce(0, +) + 2 * (widths.count - 1) - width
        for index in shrinkFirst where excess > 0 && index < widths.count {
            let floor = min(widths[index], max(Self.narrowest, headers[index].count))
            let give = min(excess, widths[index] - floor)
            widths[index] -= give
            excess -= give
        }
        return widths
    }

    /// Cells padded to their columns, cut at the width; styles wrap the padded text so colour
    /// codes never count towards the width.
    private func line(_ cells: [Cell], widths: [Int], width: Int?, colored: Bool) -> String {
        var text = ""
        var column = 0
        for (index, cell) in cells.enumerated() where index < widths.count {
            let isLast = index == widths.count - 1
            var plain = cell.text.truncated(to: widths[index])
            if !isLast { plain = plain.padding(toLength: widths[index]) }
            if let width {
                let room = width - column
                if room <= 0 { break }
                if plain.count > room { plain = plain.truncated(to: room) }
            }
            column += plain.count
            if let style = cell.style, colored {
                let trimmed = plain.replacingOccurrences(of: " +$", with: "", options: .regularExpression)
                text += "\u{1B}[\(style.rawValue)m\(trimmed)\u{1B}[0m" + String(repeating: " ", count: plain.count - trimmed.count)
            } else {
                text += plain
            }
            if !isLast {
                if let width, column + 2 > width { break }
                text += "  "
                column += 2
            }
        }
        return width == nil ? text.replacingOccurrences(of: " +$", with: "", options: .regularExpression) : text
    }
}
