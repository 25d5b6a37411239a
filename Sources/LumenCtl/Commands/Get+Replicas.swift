import ArgumentParser
import Foundation
import LumenAPI
import LumenStore

/// `lumenctl get replicas [MODEL]`: every replica the agents run, where, in what state, and each
/// deployment's last scaling decision with its reason.
enum ReplicaView {
    static let names: Set = ["replicas", "replica", "rep"]

    static func run(model: String?, output: OutputFormat, home: HomeOptions) throws {
        let console = Console.current
        let results = try gather(home: home, console: console)
        switch output {
        case .json, .yaml:
            let value: JSONValue = .list(results.map { result in
                var answer = result.answer ?? .map([])
                if let model { answer = filtered(answer, model: model) }
                return .map([.init("node", .string(result.node)), .init("error", result.error.map(JSONValue.string) ?? .null),
                             .init("runtime", result.error == nil ? answer : .null)])
            })
            console.write(value.json() + "\n")
        case .table, .wide:
            console.write(render(results, model: model, wide: output == .wide))
        }
        if results.contains(where: { $0.error != nil }) { throw ExitCode(1) }
    }

    /// Every node's `/v1/replicas` answer.
    static func gather(home: HomeOptions, console: Console) throws -> [AdminClient.NodeResult] {
        guard let store = try home.existingStore(), let snapshot = try store.snapshot() else { throw CommandFailure.emptyStore(home.path) }
        let nodes = StatePush.addressedNodes(snapshot)
        guard !nodes.isEmpty else {
            throw CommandFailure("no Node has an adminAddress, so there is no agent to ask; apply a Node manifest with spec.adminAddress")
        }
        return try AdminClient(token: AdminClient.token(environment: console.environment, home: home.path)).read("/v1/replicas", of: nodes)
    }

    private static func filtered(_ answer: JSONValue, model: String) -> JSONValue {
        answer.setting("replicas", .list((answer["replicas"]?.arrayValue ?? []).filter { $0["model"]?.stringValue == model }))
            .setting("deployments", .list((answer["deployments"]?.arrayValue ?? []).filter { $0["model"]?.stringValue == model }))
    }

    static func render(_ results: [AdminClient.NodeResult], model: String?, wide: Bool) -> String {
        var replicas = Table(headers: ["NODE", "MODEL", "REPLICA", "STATE", "SLOTS", "PORT", "PID", "IN-FLIGHT", "RESTARTS", "SINCE", "WHY"]
            + (wide ? ["LAST EXIT"] : []))
        var scaling = Table(headers: ["NODE", "MODEL", "ENGINE", "REPLICAS", "TARGET", "MIN/MAX/WARM", "LOAD", "WAITING", "LAST DECISION", "WHY"])
        for result in results {
            if let error = result.error {
                replicas.rows.append([result.node, "-", "-", "unreachable", "-", "-", "-", "-", "-", "-", error] + (wide ? ["-"] : []))
                continue
            }
            let answer = result.answer ?? .map([])
            let all = answer["replicas"]?.arrayValue ?? []
            for replica in all where model == nil || replica["model"]?.stringValue == model {
                let reason = replica["reason"]?.stringValue ?? ""
                var row = [
                    result.node, replica["model"]?.stringValue ?? "?", replica["name"]?.stringValue ?? "?", replica["state"]?.stringValue ?? "?",
                    (replica["slots"]?.arrayValue ?? []).compactMap { $0.intValue.map(String.init) }.joined(separator: ","),
                    String(replica["port"]?.intValue ?? 0), replica["pid"]?.intValue.map(String.init) ?? "-",
                    String(replica["inFlight"]?.intValue ?? 0), String(replica["restarts"]?.intValue ?? 0),
                    Health.age(replica["secondsInState"]?.doubleValue ?? 0), wide ? reason : reason.truncated(to: 60),
                ]
                if wide { row.append(replica["lastExit"]?.stringValue ?? "-") }
                replicas.rows.append(row)
            }
            for deployment in answer["deployments"]?.arrayValue ?? [] {
                guard let name = deployment["model"]?.stringValue, model == nil || name == model else { continue }
                let active = all.filter { $0["model"]?.stringValue == name && !["draining", "stopping"].contains($0["state"]?.stringValue ?? "") }
                let ready = active.filter { $0["state"]?.stringValue == "ready" }.count
                let target = deployment["target"]?.intValue ?? 0, allowed = deployment["allowed"]?.intValue ?? 0
                let decision = deployment["lastDecision"]
                let when = decision?["at"]?.stringValue.flatMap { try? Date($0, strategy: .iso8601) }
                    .map { Health.age(Date().timeIntervalSince($0)) + " ago" } ?? "-"
                let change = decision.map { "\($0["from"]?.intValue ?? 0)→\($0["to"]?.intValue ?? 0), \(when)" } ?? "-"
                let why = (deployment["waitingFor"]?.stringValue.map { $0 + "; " } ?? "") + (decision?["reason"]?.stringValue ?? "")
                scaling.rows.append([
                    result.node, name, deployment["engine"]?.stringValue ?? "?", "\(ready) ready of \(active.count)",
                    allowed < target ? "\(target) (slots allow \(allowed))" : String(target),
                    "\(deployment["min"]?.intValue ?? 0)/\(deployment["max"]?.intValue ?? 0)/\(deployment["warm"]?.intValue ?? 0)",
                    Autoscale.format(deployment["load"]?.doubleValue ?? 0), String(deployment["waiting"]?.intValue ?? 0), change,
                    wide ? why : why.truncated(to: 80),
                ])
            }
        }
        if replicas.rows.isEmpty && scaling.rows.isEmpty {
            return model.map { "No node runs replicas of \($0).\n" } ?? "No node runs replicas: no Model has a deployment.engine placed on a Node.\n"
        }
        return replicas.render() + "\nScaling:\n" + scaling.render()
    }
}

private enum Autoscale {
    static func format(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(format: "%.1f", value)
    }
}
