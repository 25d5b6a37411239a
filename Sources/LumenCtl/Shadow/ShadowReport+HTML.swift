import Foundation
import LumenManifest

extension ShadowReport {
    /// The report as one self-contained HTML page: inline CSS and SVG, no scripts and nothing fetched,
    /// so it can be mailed or attached to a ticket and opened anywhere. Every text from the pairs is escaped.
    public func html() -> String {
        let e = Self.escape
        let ttftChart = Self.groupedBars(groups: [
            ("p50", primary.ttftMilliseconds.p50, candidate.ttftMilliseconds.p50),
            ("p95", primary.ttftMilliseconds.p95, candidate.ttftMilliseconds.p95),
        ], format: Self.milliseconds)
        let latencyChart = Self.groupedBars(groups: [
            ("p50", primary.latencyMilliseconds.p50, candidate.latencyMilliseconds.p50),
            ("p95", primary.latencyMilliseconds.p95, candidate.latencyMilliseconds.p95),
        ], format: Self.milliseconds)
        var body = """
            <header>
            <h1>Shadow test <span class="name">\(e(name))</span></h1>
            <p class="sub">route <b>\(e(route))</b> → candidate <b>\(e(candidateModel))</b> · sample \(e(Check.percent(sampleRate))) · \(e(periodLine))</p>
            </header>
            <section class="banner \(verdict.decision.rawValue)"><strong>\(verdict.decision.rawValue.uppercased())</strong><span>\(e(verdict.summary))</span></section>
            <div class="grid">
            <section class="card"><h2>Primary vs candidate</h2>\(sideBySideHTML())</section>
            <section class="card"><h2>Checks</h2>\(checksHTML())<h2 class="later">Agreement</h2>\(figuresHTML())</section>
            </div>
            <div class="grid">
            <section class="card"><h2>Time to first token</h2>\(ttftChart)</section>
            <section class="card"><h2>End-to-end latency</h2>\(latencyChart)</section>
            <section class="card"><h2>Agreement per pair</h2>\(histogramSVG())</section>
            <section class="card"><h2>Cost per 1k requests</h2>\(costSVG())</section>
            <section class="card wide"><h2>Latency per pair</h2>\(scatterSVG())</section>
            </div>

            """
        body += "<section class=\"examples\"><h2>Examples <small>lowest agreement first</small></h2>\n"
        if examples.isEmpty { body += "<p class=\"muted\">No pair where both sides answered.</p>\n" }
        for example in examples { body += exampleHTML(example) }
        body += "</section>\n"
        return """
            <!doctype html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>Shadow test \(e(name)): \(verdict.decision.rawValue)</title>
            <style>\(Self.css)</style>
            </head>
            <body>
            <main>
            \(body)<footer>lumenctl shadow report · \(e(name))</footer>
            </main>
            </body>
            </html>

            """
    }

    // MARK: Sections

    func sideBySideHTML() -> String {
        let e = Self.escape
        var rows = "<tr><th></th><th><span class=\"key primary\"></span>Primary</th><th><span class=\"key candidate\"></span>Candidate</th><th>ratio</th></tr>"
        // One model per line: a route's primary side may have several.
        func models(_ shares: [ModelShare]) -> String {
            shares.count < 2 ? e(Self.models(shares)) : shares.map { e("\($0.model) (\($0.pairs))") }.joined(separator: "<br>")
        }
        rows += "<tr><td>model</td><td>\(models(primary.models))</td><td>\(models(candidate.models))</td><td></td></tr>"
        for row in sideBySideRows.dropFirst() {
            rows += "<tr><td>\(e(row.measure))</td><td>\(e(row.primary))</td><td>\(e(row.candidate))</td><td class=\"ratio\">\(e(row.ratio))</td></tr>"
        }
        return "<table class=\"sbs\">\(rows)</table>"
    }

    func checksHTML() -> String {
        let e = Self.escape
        var rows = "<tr><th></th><th>Check</th><th>Actual</th><th>Limit</th></tr>"
        for check in verdict.checks {
            let mark = switch check.result {
            case .pass: "✓"
            case .fail: "✗"
            case .unmeasured: "–"
            }
            let actual = check.actual.map(check.format) ?? (check.note ?? "not measured")
            rows += "<tr class=\"\(check.result.rawValue)\"><td class=\"mark\">\(mark)</td><td>\(e(check.label))</td>"
                + "<td>\(e(actual))</td><td>\(e(check.comparison.symbol)) \(e(check.format(check.limit)))</td></tr>"
        }
        return "<table class=\"checks\">\(rows)</table>"
    }

    func figuresHTML() -> String {
        let e = Self.escape
        let tiles = agreementFigures.map { "<div class=\"tile\"><b>\(e($0.value))</b><span>\(e($0.label))</span></div>" }
        return "<div class=\"tiles\">\(tiles.joined())</div>"
    }

    func exampleHTML(_ example: Example) -> String {
        let e = Self.escape
        var meta = "<span class=\"tag \(example.kind.rawValue)\">\(example.kind == .typical ? "typical" : "lowest agreement")</span>"
        meta += " agreement <b>\(String(format: "%.2f", example.agreement))</b>"
        meta += " · primary \(e(Self.milliseconds(example.primaryLatencyMilliseconds)))"
        meta += example.primaryModel.map { " (\(e($0)))" } ?? ""
        meta += " · candidate \(e(Self.milliseconds(example.candidateLatencyMilliseconds)))"
        meta += example.candidateModel.map { " (\(e($0)))" } ?? ""
        meta += " · <code>\(e(example.requestID))</code>"
        var html = "<article class=\"example\"><div class=\"meta\">\(meta)</div>"
        if !example.retained {
            html += "<p class=\"muted\">Text not retained (zero-retention route): only the measures were recorded.</p>"
        } else {
            if let prompt = example.prompt { html += "<p class=\"prompt\"><span>Prompt</span>\(e(prompt))</p>" }
            let words = example.diff.map { run in
                switch run.kind {
                case .same: e(run.text)
                case .removed: "<del>\(e(run.text))</del>"
                case .added: "<ins>\(e(run.text))</ins>"
                }
            }
            html += "<p class=\"diff\">\(words.isEmpty ? "<span class=\"muted\">(both answers empty)</span>" : words.joined(separator: " "))</p>"
        }
        return html + "</article>\n"
    }

    // MARK: Charts

    static let primaryColour = "#64748b"
    static let candidateColour = "#2563eb"
    static let passColour = "#16a34a"
    static let warnColour = "#d97706"

    /// Primary and candidate bars side by side for each group (p50, p95), on one scale from zero.
    static func groupedBars(groups: [(label: String, primary: Double?, candidate: Double?)],
                            format: (Double?) -> String) -> String {
        let width = 520.0, height = 250.0, left = 64.0, right = 16.0, top = 34.0, bottom = 34.0
        let values = groups.flatMap { [$0.primary, $0.candidate] }.compactMap { $0 }
        guard !values.isEmpty else { return emptyChart("nothing measured") }
        let scale = niceScale(values.max() ?? 1)
        let plotHeight = height - top - bottom, plotWidth = width - left - right
        var svg = axis(scale: scale, left: left, right: width - right, top: top, bottom: height - bottom, format: { format($0) })
        let groupWidth = plotWidth / Double(groups.count)
        let barWidth = min(64, groupWidth / 3)
        for (index, group) in groups.enumerated() {
            let centre = left + groupWidth * (Double(index) + 0.5)
            // Primary left of the group's centre, candidate right, 8 points apart.
            for (x, value, colour) in [(centre - barWidth - 4, group.primary, primaryColour), (centre + 4, group.candidate, candidateColour)] {
                guard let value else { continue }
                let barHeight = max(1, plotHeight * value / scale.max)
                let y = height - bottom - barHeight
                svg += rect(x, y, barWidth, barHeight, fill: colour)
                svg += text(x + barWidth / 2, y - 6, format(value), anchor: "middle", size: 12, weight: "600")
            }
            svg += text(centre, height - bottom + 20, group.label, anchor: "middle", size: 13)
        }
        svg += legend(x: left, y: 14)
        return wrap(svg, width: width, height: height, label: "bar chart of primary and candidate")
    }

    func histogramSVG() -> String {
        let width = 520.0, height = 250.0, left = 44.0, right = 16.0, top = 34.0, bottom = 40.0
        let counts = agreement.histogram.map(\.pairs)
        let scale = Self.niceScale(Double(max(counts.max() ?? 0, 1)), integers: true)
        let plotWidth = width - left - right, plotHeight = height - top - bottom
        var svg = Self.axis(scale: scale, left: left, right: width - right, top: top, bottom: height - bottom) { String(format: "%.0f", $0) }
        let slot = plotWidth / Double(counts.count)
        for (index, bucket) in agreement.histogram.enumerated() {
            let x = left + slot * Double(index) + 3
            let clears = bucket.lower >= thresholds.minAgreement - Check.tolerance
            if bucket.pairs > 0 {
                let barHeight = plotHeight * Double(bucket.pairs) / scale.max
                svg += Self.rect(x, height - bottom - barHeight, slot - 6, barHeight, fill: clears ? Self.passColour : Self.warnColour)
                svg += Self.text(x + (slot - 6) / 2, height - bottom - barHeight - 6, "\(bucket.pairs)", anchor: "middle", size: 12, weight: "600")
            }
            svg += Self.text(left + slot * Double(index), height - bottom + 16, String(format: "%.1f", bucket.lower), anchor: "middle", size: 11)
        }
        svg += Self.text(width - right, height - bottom + 16, "1.0", anchor: "middle", size: 11)
        let limitX = left + plotWidth * min(1, max(0, thresholds.minAgreement))
        svg += Self.line(limitX, top - 8, limitX, height - bottom, stroke: "#111827", dashed: true)
        svg += Self.text(limitX - 4, top - 12, "min \(String(format: "%.2f", thresholds.minAgreement))", anchor: "end", size: 11)
        svg += Self.text(left + plotWidth / 2, height - 6, "agreement (pairs where both answered)", anchor: "middle", size: 11, fill: "#6b7280")
        return Self.wrap(svg, width: width, height: height, label: "histogram of per-pair agreement")
    }

    func costSVG() -> String {
        let width = 520.0, height = 250.0, left = 96.0, right = 96.0
        let values = [primary.costPer1kRequests.amount.double, candidate.costPer1kRequests.amount.double]
        let largest = max(values.max() ?? 0, 0)
        let plotWidth = width - left - right
        var svg = ""
        let rows: [(String, ShadowReport.SideSummary, String)] = [("primary", primary, Self.primaryColour), ("candidate", candidate, Self.candidateColour)]
        for (index, (label, side, colour)) in rows.enumerated() {
            let y = 58.0 + Double(index) * 78
            let amount = side.costPer1kRequests.amount.double
            let barWidth = largest > 0 ? max(2, plotWidth * amount / largest) : 2
            svg += Self.text(left - 12, y + 24, label, anchor: "end", size: 13)
            let others = side.models.count > 1 ? " +\(side.models.count - 1)" : ""
            let model = (side.models.first?.model ?? "").truncated(to: 14) + others
            svg += Self.text(left - 12, y + 40, model, anchor: "end", size: 10, fill: "#6b7280")
            svg += Self.rect(left, y, barWidth, 40, fill: colour)
            svg += Self.text(left + barWidth + 8, y + 25, Self.dollars(side.costPer1kRequests), anchor: "start", size: 13, weight: "600")
        }
        if let ratio = ratios.costPerRequest {
            svg += Self.text(left, 226, "candidate costs \(String(format: "%.2f×", ratio)) the primary per request"
                             + (thresholds.maxCostRatio.map { String(format: " (limit %.2f×)", $0) } ?? ""),
                             anchor: "start", size: 12, fill: "#374151")
        }
        return Self.wrap(svg, width: width, height: height, label: "cost per thousand requests")
    }

    /// Each compared pair's end-to-end latency, primary across and candidate up, on one scale: points above
    /// the diagonal are pairs where the candidate was slower.
    func scatterSVG() -> String {
        let width = 1080.0, height = 300.0, left = 70.0, right = 220.0, top = 16.0, bottom = 44.0
        guard !latencyPoints.isEmpty else { return Self.emptyChart("no pair where both sides answered") }
        let largest = latencyPoints.map { max($0.primaryMilliseconds, $0.candidateMilliseconds) }.max() ?? 1
        let scale = Self.niceScale(largest)
        let plotRight = width - right, plotBottom = height - bottom
        let plotWidth = plotRight - left, plotHeight = plotBottom - top
        var svg = Self.axis(scale: scale, left: left, right: plotRight, top: top, bottom: plotBottom) { Self.milliseconds($0) }
        for tick in scale.ticks {
            let x = left + plotWidth * tick / scale.max
            svg += Self.text(x, plotBottom + 18, Self.milliseconds(tick), anchor: "middle", size: 11)
        }
        svg += Self.line(left, plotBottom, plotRight, top, stroke: "#9ca3af", dashed: true)
        for point in latencyPoints {
            let x = left + plotWidth * point.primaryMilliseconds / scale.max
            let y = plotBottom - plotHeight * point.candidateMilliseconds / scale.max
            let clears = point.agreement >= thresholds.minAgreement - Check.tolerance
            svg += Self.circle(x, y, radius: 4.5, fill: clears ? Self.passColour : Self.warnColour, opacity: 0.75)
        }
        svg += Self.text(left + plotWidth / 2, height - 6, "primary latency", anchor: "middle", size: 11, fill: "#6b7280")
        let middle = Self.number(top + plotHeight / 2)
        svg += "<text x=\"14\" y=\"\(middle)\" font-size=\"11\" fill=\"#6b7280\" text-anchor=\"middle\" transform=\"rotate(-90 14 \(middle))\">"
            + "candidate latency</text>"
        let legendX = plotRight + 28
        svg += Self.circle(legendX, 40, radius: 5, fill: Self.passColour)
        svg += Self.text(legendX + 12, 44, "agreement ≥ \(String(format: "%.2f", thresholds.minAgreement))", anchor: "start", size: 12)
        svg += Self.circle(legendX, 64, radius: 5, fill: Self.warnColour)
        svg += Self.text(legendX + 12, 68, "below", anchor: "start", size: 12)
        svg += Self.line(legendX - 6, 88, legendX + 6, 88, stroke: "#9ca3af", dashed: true)
        svg += Self.text(legendX + 12, 92, "same latency", anchor: "start", size: 12)
        svg += Self.text(legendX - 6, 120, "above the line:", anchor: "start", size: 11, fill: "#6b7280")
        svg += Self.text(legendX - 6, 136, "candidate slower", anchor: "start", size: 11, fill: "#6b7280")
        return Self.wrap(svg, width: width, height: height, label: "per-pair latency, primary against candidate")
    }

    // MARK: SVG pieces

    /// A chart's vertical range: zero to a round maximum, with round ticks.
    struct Scale {
        var max: Double
        var ticks: [Double]
    }

    /// The smallest of 1, 1.5, 2, 2.5, 3, 4, 5, 6 × 10ⁿ at or above `largest`, cut in five (or in whole steps for counts).
    static func niceScale(_ largest: Double, integers: Bool = false) -> Scale {
        let value = largest > 0 && largest.isFinite ? largest : 1
        let magnitude = pow(10, (log10(value)).rounded(.down))
        let fraction = value / magnitude
        let nice = [1, 1.5, 2, 2.5, 3, 4, 5, 6, 10].first { fraction <= $0 + 1e-9 } ?? 10
        var maximum = nice * magnitude
        var step = maximum / 5
        if integers {
            maximum = Swift.max(maximum.rounded(.up), 1)
            step = Swift.max(1, (maximum / 5).rounded(.up))
            maximum = step * (maximum / step).rounded(.up)
        }
        let ticks = stride(from: 0.0, through: maximum + step / 1000, by: step).map { $0 }
        return Scale(max: maximum, ticks: ticks)
    }

    static func axis(scale: Scale, left: Double, right: Double, top: Double, bottom: Double, format: (Double) -> String) -> String {
        var svg = ""
        for tick in scale.ticks {
            let y = bottom - (bottom - top) * tick / scale.max
            svg += line(left, y, right, y, stroke: tick == 0 ? "#9ca3af" : "#e5e7eb")
            svg += text(left - 8, y + 4, format(tick), anchor: "end", size: 11, fill: "#6b7280")
        }
        return svg
    }

    static func legend(x: Double, y: Double) -> String {
        rect(x, y - 9, 12, 12, fill: primaryColour) + text(x + 18, y + 1, "primary", anchor: "start", size: 12)
            + rect(x + 92, y - 9, 12, 12, fill: candidateColour) + text(x + 110, y + 1, "candidate", anchor: "start", size: 12)
    }

    static func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, stroke: String, dashed: Bool = false) -> String {
        "<line x1=\"\(number(x1))\" y1=\"\(number(y1))\" x2=\"\(number(x2))\" y2=\"\(number(y2))\" stroke=\"\(stroke)\""
            + (dashed ? " stroke-dasharray=\"5 4\"/>" : "/>")
    }

    static func circle(_ x: Double, _ y: Double, radius: Double, fill: String, opacity: Double = 1) -> String {
        "<circle cx=\"\(number(x))\" cy=\"\(number(y))\" r=\"\(number(radius))\" fill=\"\(fill)\" fill-opacity=\"\(number(opacity))\"/>"
    }

    static func rect(_ x: Double, _ y: Double, _ width: Double, _ height: Double, fill: String) -> String {
        "<rect x=\"\(number(x))\" y=\"\(number(y))\" width=\"\(number(width))\" height=\"\(number(height))\" rx=\"3\" fill=\"\(fill)\"/>"
    }

    static func text(_ x: Double, _ y: Double, _ content: String, anchor: String, size: Int, weight: String = "400",
                     fill: String = "#111827") -> String {
        "<text x=\"\(number(x))\" y=\"\(number(y))\" font-size=\"\(size)\" font-weight=\"\(weight)\" fill=\"\(fill)\" text-anchor=\"\(anchor)\">\(escape(content))</text>"
    }

    static func wrap(_ content: String, width: Double, height: Double, label: String) -> String {
        "<svg viewBox=\"0 0 \(number(width)) \(number(height))\" role=\"img\" aria-label=\"\(escape(label))\" xmlns=\"http://www.w3.org/2000/svg\">\(content)</svg>"
    }

    static func emptyChart(_ message: String) -> String {
        "<p class=\"muted chart-empty\">\(escape(message))</p>"
    }

    static func number(_ value: Double) -> String {
        String(format: "%.1f", value)
    }

    /// Text safe inside elements and quoted attributes.
    static func escape(_ text: String) -> String {
        var escaped = ""
        escaped.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&#39;"
            default: escaped.append(character)
            }
        }
        return escaped
    }

    static let css = """
        *{box-sizing:border-box}
        body{margin:0;background:#f3f4f6;color:#111827;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans","Liberation Sans",sans-serif}
        main{max-width:1140px;margin:0 auto;padding:24px 20px 40px}
        h1{font-size:24px;margin:0 0 4px}
        h1 .name{font-family:ui-monospace,"DejaVu Sans Mono",monospace;font-size:22px}
        h2{font-size:15px;margin:0 0 10px;color:#374151}
        h2.later{margin-top:16px}
        h2 small{font-weight:400;color:#6b7280;font-size:13px;margin-left:6px}
        .sub{margin:0 0 16px;color:#4b5563}
        .banner{display:flex;gap:14px;align-items:baseline;padding:14px 18px;border-radius:8px;border:1px solid;margin-bottom:16px}
        .banner strong{font-size:20px;letter-spacing:.04em}
        .banner.promote{background:#dcfce7;border-color:#16a34a;color:#14532d}
        .banner.hold{background:#fef3c7;border-color:#d97706;color:#78350f}
        .banner.insufficient{background:#e5e7eb;border-color:#9ca3af;color:#374151}
        .grid{display:grid;grid-template-columns:1fr 1fr;gap:16px;margin-bottom:16px}
        .card{background:#fff;border:1px solid #e5e7eb;border-radius:8px;padding:14px 16px;min-width:0}
        .card.wide{grid-column:1 / -1}
        svg{display:block;width:100%;height:auto;font-family:inherit}
        table{border-collapse:collapse;width:100%}
        th,td{text-align:left;padding:5px 8px;border-bottom:1px solid #f0f1f3;vertical-align:top;white-space:nowrap}
        th{font-size:12px;color:#6b7280;font-weight:600}
        .sbs td:not(:first-child),.sbs th:not(:first-child){text-align:right;font-variant-numeric:tabular-nums}
        .sbs td:first-child{color:#4b5563}
        .sbs .ratio{color:#4b5563}
        .key{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:6px}
        .key.primary{background:#64748b}.key.candidate{background:#2563eb}
        .checks .mark{width:22px;font-weight:700;text-align:center}
        .checks tr.pass .mark{color:#16a34a}.checks tr.fail .mark{color:#dc2626}.checks tr.unmeasured .mark{color:#9ca3af}
        .checks tr.fail td{background:#fef2f2}
        .tiles{display:grid;grid-template-columns:repeat(3,1fr);gap:8px}
        .tile{background:#f9fafb;border-radius:6px;padding:8px 10px}
        .tile b{display:block;font-size:18px}
        .tile span{font-size:12px;color:#6b7280}
        .examples h2{font-size:17px;color:#111827;margin:8px 0 12px}
        .example{background:#fff;border:1px solid #e5e7eb;border-radius:8px;padding:12px 16px;margin-bottom:12px}
        .meta{color:#4b5563;font-size:13px;margin-bottom:8px}
        .tag{display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px;font-weight:600;margin-right:4px}
        .tag.lowest{background:#fef3c7;color:#92400e}.tag.typical{background:#e0e7ff;color:#3730a3}
        .prompt{margin:0 0 8px;color:#374151;white-space:pre-wrap;overflow-wrap:anywhere}
        .prompt span{display:inline-block;font-size:11px;text-transform:uppercase;letter-spacing:.05em;color:#6b7280;margin-right:8px}
        .diff{margin:0;padding:10px 12px;background:#f9fafb;border-radius:6px;max-height:180px;overflow:auto;overflow-wrap:anywhere;line-height:1.6}
        del{background:#fee2e2;color:#991b1b;text-decoration:line-through;border-radius:3px;padding:0 2px}
        ins{background:#dcfce7;color:#166534;text-decoration:none;border-radius:3px;padding:0 2px}
        code{font-family:ui-monospace,"DejaVu Sans Mono",monospace;font-size:12px}
        .muted{color:#6b7280}
        .chart-empty{padding:40px 0;text-align:center}
        footer{color:#9ca3af;font-size:12px;margin-top:24px}
        """
}
