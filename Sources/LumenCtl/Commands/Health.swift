import ArgumentParser
import Foundation
import LumenAPI
import LumenStore

/// `lumenctl health`: every upstream on every node, as its agent sees it.
struct Health: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the health of every upstream on every node: state and why, TTFT, inter-token latency, errors, load.",
        discussion: "Each agent judges its upstreams from live traffic and its own probes: healthy, degraded, ejected (after failures in a row, for a backoff that grows), draining or starting."
    )

    @OptionGroup var home: HomeOptions
    @Option(name: .shortAndLong, help: "Output format: table, wide or json.")
    var output: OutputFormat = .table

    func run() throws {
        let console = Console.current
        guard let store = try home.existingStore(), let snapshot = try store.snapshot() else { throw CommandFailure.emptyStore(home.path) }
        let nodes = StatePush.addressedNodes(snapshot)
        guard !nodes.isEmpty else {
            throw CommandFailure("no Node has an adminAddress, so there is no agent to ask; apply a Node manifest with spec.adminAddress")
        }
        let client = AdminClient(token: AdminClient.token(environment: console.environment, home: home.path))
        let results = try client.health(of: nodes)
        switch output {
        case .json, .yaml:
            let value: JSONValue = .list(results.map { result in
                .map([
                    .init("node", .string(result.node)),
                    .init("error", result.error.map(JSONValue.string) ?? .null),
                    .init("upstreams", result.error == nil ? (result.answer ?? .list([])) : .list([])),
                ])
            })
            console.write(value.json() + "\n")
        case .table, .wide:
            console.write(Self.table(results, wide: output == .wide).render())
        }
        if results.contains(where: { $0.error != nil }) { throw ExitCode(1) }
    }

    static func table(_ results: [AdminClient.NodeResult], wide: Bool) -> Table {
        var table = Table(headers: ["NODE", "UPSTREAM", "MODEL", "STATE", "TTFT P50", "TTFT P99", "ITL P50", "ERRORS", "IN-FLIGHT", "SINCE", "WHY"]
            + (wide ? ["LAST ERROR"] : []))
        for result in results {
            if let error = result.error {
                table.rows.append([result.node, "-", "-", "unreachable", "-", "-", "-", "-", "-", "-", error] + (wide ? ["-"] : []))
                continue
            }
            for upstream in result.answer?.arrayValue ?? [] {
                let milliseconds = { (key: String) in upstream[key]?.doubleValue.map { String(format: "%.1f ms", $0) } ?? "-" }
                let errorRate = upstream["errorRate"]?.doubleValue ?? 0
                var row = [
                    result.node, upstream["upstream"]?.stringValue ?? "?", upstream["model"]?.stringValue ?? "?",
                    upstream["state"]?.stringValue ?? "?", milliseconds("ttftP50Milliseconds"), milliseconds("ttftP99Milliseconds"),
                    milliseconds("interTokenP50Milliseconds"),
                    String(format: "%.0f%% of %d", errorRate * 100, upstream["requests"]?.intValue ?? 0),
                    String(upstream["inFlight"]?.intValue ?? 0), Self.age(upstream["secondsInState"]?.doubleValue ?? 0),
                    wide ? (upstream["reason"]?.stringValue ?? "") : (upstream["reason"]?.stringValue ?? "").truncated(to: 60),
                ]
                if wide { row.append(upstream["lastError"]?.stringValue ?? "-") }
                table.rows.append(row)
            }
        }
        return table
    }

    /// `42s`, `5m`, `3h`, `2d`.
    static func age(_ seconds: Double) -> String {
        switch seconds {
        case ..<60: "\(Int(seconds))s"
        case ..<3600: "\(Int(seconds / 60))m"
        case ..<86400: "\(Int(seconds / 3600))h"
        default: "\(Int(seconds / 86400))d"
        }
    }
}
