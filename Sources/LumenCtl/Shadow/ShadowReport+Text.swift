import Foundation
import LumenManifest

extension ShadowReport {
    /// Histogram bars are at most this many cells wide.
    static let barWidth = 30
    /// A run of unchanged words longer than this is shortened in the terminal to its ends.
    static let sameRunLimit = 16

    /// The report for a terminal: side-by-side table, agreement histogram, verdict with each check,
    /// and the example pairs' word diffs. Colour follows `console` (none off a terminal or with NO_COLOR).
    public func text(console: Console) -> String {
        var out = "Shadow test \(name): route \(route) → candidate \(candidateModel) (sample \(Check.percent(sampleRate)))\n"
        out += periodLine + "\n\n"
        // An empty last cell would leave the padding of the one before it at the end of the line.
        out += sideBySideTable().render().split(separator: "\n", omittingEmptySubsequences: false)
            .map(Self.withoutTrailingSpaces).joined(separator: "\n") + "\n"
        out += agreementText(console) + "\n"
        out += verdictText(console)
        if !examples.isEmpty { out += "\n" + examplesText(console) }
        return out
    }

    var periodLine: String {
        var line = "\(pairs) \(pairs == 1 ? "pair" : "pairs")"
        if let firstAt, let lastAt { line += firstAt == lastAt ? " at \(firstAt)" : " from \(firstAt) to \(lastAt)" }
        return line + "; \(comparedPairs) with answers from both sides"
    }

    /// Rows of measures with the primary, the candidate and their ratio, shared by the terminal and HTML tables.
    var sideBySideRows: [(measure: String, primary: String, candidate: String, ratio: String)] {
        func ratio(_ value: Double?) -> String { value.map { String(format: "%.2f×", $0) } ?? "–" }
        return [
            ("model", Self.models(primary.models), Self.models(candidate.models), ""),
            ("answered", "\(primary.completed) of \(primary.pairs)", "\(candidate.completed) of \(candidate.pairs)", ""),
            ("error rate", Check.percent(primary.errorRate), Check.percent(candidate.errorRate), ""),
            ("TTFT p50", Self.milliseconds(primary.ttftMilliseconds.p50), Self.milliseconds(candidate.ttftMilliseconds.p50),
             ratio(Self.ratio(candidate.ttftMilliseconds.p50, primary.ttftMilliseconds.p50))),
            ("TTFT p95", Self.milliseconds(primary.ttftMilliseconds.p95), Self.milliseconds(candidate.ttftMilliseconds.p95),
             ratio(ratios.ttftP95)),
            ("latency p50", Self.milliseconds(primary.latencyMilliseconds.p50), Self.milliseconds(candidate.latencyMilliseconds.p50),
             ratio(Self.ratio(candidate.latencyMilliseconds.p50, primary.latencyMilliseconds.p50))),
            ("latency p95", Self.milliseconds(primary.latencyMilliseconds.p95), Self.milliseconds(candidate.latencyMilliseconds.p95),
             ratio(ratios.latencyP95)),
            ("tokens/s (median)", Self.rate(primary.tokensPerSecond), Self.rate(candidate.tokensPerSecond), ratio(ratios.tokensPerSecond)),
            ("cost per request", Self.dollars(primary.costPerRequest), Self.dollars(candidate.costPerRequest), ratio(ratios.costPerRequest)),
            ("cost per 1k requests", Self.dollars(primary.costPer1kRequests), Self.dollars(candidate.costPer1kRequests), ""),
        ]
    }

    func sideBySideTable() -> Table {
        var table = Table(headers: ["MEASURE", "PRIMARY", "CANDIDATE", "CANDIDATE ÷ PRIMARY"])
        table.rows = sideBySideRows.map { [$0.measure, $0.primary, $0.candidate, $0.ratio] }
        return table
    }

    /// The agreement measures as label and value, shared by the terminal and HTML.
    var agreementFigures: [(label: String, value: String)] {
        func score(_ value: Double?) -> String { value.map { String(format: "%.2f", $0) } ?? "–" }
        func share(_ value: Double?) -> String { value.map(Check.percent) ?? "–" }
        return [
            ("mean agreement", score(agreement.meanAgreement)),
            ("exact match", share(agreement.exactMatchShare)),
            ("mean similarity", score(agreement.meanSimilarity)),
            ("JSON validity agrees", share(agreement.jsonAgreementShare)),
            ("tool calls agree", share(agreement.toolCallAgreementShare)),
            ("length ratio (median)", agreement.medianLengthRatio.map { String(format: "%.2f×", $0) } ?? "–"),
        ]
    }

    func agreementText(_ console: Console) -> String {
        var out = console.styled("Agreement", .bold) + " over \(agreement.pairs) \(agreement.pairs == 1 ? "pair" : "pairs") where both answered\n"
        out += "  " + agreementFigures.map { "\($0.label) \($0.value)" }.joined(separator: "   ") + "\n"
        let largest = max(agreement.histogram.map(\.pairs).max() ?? 0, 1)
        for bucket in agreement.histogram {
            let bar = Self.bar(Double(bucket.pairs) / Double(largest), width: Self.barWidth)
            let clears = bucket.lower >= thresholds.minAgreement - Check.tolerance
            let range = String(format: "%.1f–%.1f", bucket.lower, bucket.upper)
            out += "  \(range)  " + console.styled(bar.padding(toLength: Self.barWidth), clears ? .green : .yellow)
                + "  \(bucket.pairs)\n"
        }
        return out
    }

    func verdictText(_ console: Console) -> String {
        let style: Console.Style = switch verdict.decision {
        case .promote: .green
        case .hold: .yellow
        case .insufficient: .dim
        }
        var out = console.styled("Verdict: \(verdict.decision.rawValue.uppercased())", style) + " — \(verdict.summary)\n"
        let labelWidth = verdict.checks.map(\.label.count).max() ?? 0
        let actuals = verdict.checks.map { $0.actual.map($0.format) ?? "–" }
        let actualWidth = actuals.map(\.count).max() ?? 0
        for (check, actual) in zip(verdict.checks, actuals) {
            let mark = switch check.result {
            case .pass: console.styled("✓", .green)
            case .fail: console.styled("✗", .red)
            case .unmeasured: console.styled("–", .dim)
            }
            var line = "  \(mark) " + check.label.padding(toLength: labelWidth + 2) + actual.padding(toLength: actualWidth + 2)
                + "\(check.comparison.symbol) \(check.format(check.limit))"
            if let note = check.note { line += "  (\(note))" }
            out += line + "\n"
        }
        return out
    }

    func examplesText(_ console: Console) -> String {
        var out = console.styled("Examples", .bold) + " (lowest agreement first)\n"
        for (index, example) in examples.enumerated() {
            out += "\(index + 1). " + (example.kind == .typical ? "typical, " : "")
                + "agreement \(String(format: "%.2f", example.agreement)) · primary \(Self.milliseconds(example.primaryLatencyMilliseconds))"
                + " · candidate \(Self.milliseconds(example.candidateLatencyMilliseconds)) · \(example.requestID)\n"
            guard example.retained else {
                out += "   text not retained (zero-retention route): only the measures were recorded\n"
                continue
            }
            if let prompt = example.prompt {
                out += "   prompt: " + Self.oneLine(prompt).truncated(to: 100) + "\n"
            }
            out += "   diff:   " + diffText(example.diff, console) + "\n"
        }
        return out
    }

    /// `[-removed-]{+added+}` in plain text; red and green without the brackets where colour is on.
    func diffText(_ runs: [DiffRun], _ console: Console) -> String {
        if runs.isEmpty { return "(both answers empty)" }
        return runs.map { run in
            switch run.kind {
            case .same: Self.shortened(run.text)
            case .removed: console.usesColor ? console.styled(run.text, .red) : "[-\(run.text)-]"
            case .added: console.usesColor ? console.styled(run.text, .green) : "{+\(run.text)+}"
            }
        }.joined(separator: " ")
    }

    /// A long unchanged run keeps its first and last words, so the changes stay in view.
    static func shortened(_ same: String) -> String {
        let words = same.split(separator: " ")
        guard words.count > sameRunLimit else { return same }
        let keep = sameRunLimit / 2 - 2
        return words.prefix(keep).joined(separator: " ") + " … (\(words.count - 2 * keep) words) … "
            + words.suffix(keep).joined(separator: " ")
    }

    // MARK: Formatting shared with the HTML page

    static func withoutTrailingSpaces(_ line: Substring) -> Substring {
        var line = line
        while line.last == " " { line = line.dropLast() }
        return line
    }

    static func oneLine(_ text: String) -> String {
        text.split(whereSeparator: \.isNewline).joined(separator: " ")
    }

    static func models(_ shares: [ModelShare]) -> String {
        if shares.isEmpty { return "–" }
        if shares.count == 1 { return shares[0].model }
        return shares.map { "\($0.model) (\($0.pairs))" }.joined(separator: ", ")
    }

    static func ratio(_ candidate: Double?, _ primary: Double?) -> Double? {
        guard let candidate, let primary, primary > 0 else { return nil }
        return candidate / primary
    }

    static func milliseconds(_ value: Double?) -> String {
        guard let value else { return "–" }
        return value >= 100 || value == value.rounded() ? String(format: "%.0f ms", value) : String(format: "%.1f ms", value)
    }

    static func rate(_ value: Double?) -> String {
        value.map { String(format: "%.1f", $0) } ?? "–"
    }

    /// Dollars with at least three significant digits (a request often costs a fraction of a cent).
    static func dollars(_ usd: USD) -> String {
        let amount = usd.amount
        if amount == 0 { return "$0.00" }
        var places = 2
        var scaled = abs(amount) * 100
        while scaled < 100 && places < 9 {
            scaled *= 10
            places += 1
        }
        var text = amount.rounded(places: places).description
        let decimals = text.split(separator: ".", omittingEmptySubsequences: false).dropFirst().first?.count ?? 0
        if decimals == 0 { text += "." }
        text += String(repeating: "0", count: max(0, places - decimals))
        return amount < 0 ? "-$" + String(text.dropFirst()) : "$" + text
    }

    /// A bar of `fraction` × `width` cells in eighths of a block.
    static func bar(_ fraction: Double, width: Int) -> String {
        let eighths = Int((max(0, min(1, fraction)) * Double(width * 8)).rounded())
        let partials = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"]
        return String(repeating: "█", count: eighths / 8) + partials[eighths % 8]
    }
}
