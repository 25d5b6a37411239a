import ArgumentParser
import Foundation
import LumenAPI
import LumenManifest
import LumenStore

/// `lumenctl logs MODEL`: what one replica's engine printed, from the agent that runs it.
struct Logs: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the output of a replica that an agent runs (its engine's stdout and stderr, and each start).",
        discussion: "The agent keeps each replica's output in its home (replicas/MODEL/N.log). lumenctl get replicas shows which replicas run where."
    )

    @Argument(help: ArgumentHelp("The model whose replica to show.", valueName: "model"))
    var model: String
    @Option(help: ArgumentHelp("The replica's number (the N in MODEL-N).", valueName: "n"))
    var replica = 0
    @Option(help: ArgumentHelp("The node to read from (default: the first that runs the replica, or kept its log).", valueName: "node"))
    var node: String?
    @Option(help: "How many lines to show from the end.")
    var tail = 100
    @Flag(name: .shortAndLong, help: "Keep printing new output until Ctrl-C.")
    var follow = false
    @OptionGroup var home: HomeOptions

    func validate() throws {
        if !(0...100_000).contains(tail) { throw ValidationError("--tail takes 0 to 100000 lines.") }
        if replica < 0 { throw ValidationError("--replica must be 0 or more.") }
        // The agent keeps logs at replicas/MODEL/N.log: only an object name can be a MODEL there.
        if !ManifestName.isValid(model) {
            throw ValidationError("\(model.debugDescription) is not a model name: a model name is \(ManifestName.rule) (lumenctl get models lists them).")
        }
    }

    func run() throws {
        let console = Console.current
        guard let store = try home.existingStore(), let snapshot = try store.snapshot() else { throw CommandFailure.emptyStore(home.path) }
        var nodes = StatePush.addressedNodes(snapshot)
        if let node {
            nodes = nodes.filter { $0.name == node }
            guard !nodes.isEmpty else { throw CommandFailure("no Node named \(node) with an adminAddress; lumenctl get nodes lists them") }
        }
        let client = AdminClient(token: AdminClient.token(environment: console.environment, home: home.path))
        let query = "model=\(Self.escape(model))&replica=\(replica)"
        let results = try client.read("/v1/logs?\(query)&tail=\(tail)", of: nodes)
        // The node running the replica now; else one that kept its log.
        let running = try ReplicaView.gather(home: home, console: console).first { result in
            (result.answer?["replicas"]?.arrayValue ?? []).contains { $0["model"]?.stringValue == model && $0["index"]?.intValue == replica }
        }?.node
        guard let found = results.first(where: { $0.node == running && $0.error == nil }) ?? results.first(where: { $0.error == nil }),
              let body = found.body else {
            let reasons = results.map { "\($0.node): \($0.error ?? "no log")" }.joined(separator: "; ")
            throw CommandFailure("no agent has a log for replica \(replica) of \(model): \(reasons)")
        }
        if results.filter({ $0.error == nil }).count > 1 { console.writeError("(node \(found.node))\n") }
        console.write(String(decoding: body, as: UTF8.self) + (body.last == 0x0A || body.isEmpty ? "" : "\n"))
        guard follow, var offset = found.logOffset, let target = nodes.first(where: { $0.name == found.node }) else { return }
        while true {
            Thread.sleep(forTimeInterval: 0.5)
            guard let next = try client.read("/v1/logs?\(query)&offset=\(offset)", of: [target]).first else { continue }
            if let error = next.error { throw CommandFailure("lost the log of \(model)-\(replica) on \(found.node): \(error)") }
            if let body = next.body, !body.isEmpty { console.write(String(decoding: body, as: UTF8.self)) }
            offset = next.logOffset ?? offset
        }
    }

    static func escape(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed.subtracting(CharacterSet(charactersIn: "&=+"))) ?? text
    }
}
