import ArgumentParser
import LumenManifest
import LumenStore

struct Get: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List objects of a kind, or show one.",
        discussion: "KIND is one of \(ManifestKind.cliNames) (singular and short names work too: route, rt), or all; or replicas, which asks every agent for the replicas it runs and each deployment's last scaling decision (NAME: one model)."
    )

    @Argument(help: ArgumentHelp("The kind to list, or all.", valueName: "kind"),
              completion: .list(ManifestKind.allCases.map(\.plural) + ["all", "replicas"]))
    var kind: String
    @Argument(help: ArgumentHelp("One object's name.", valueName: "name"))
    var name: String?
    @Option(name: .shortAndLong, help: "Output format: table, wide, json or yaml.")
    var output: OutputFormat = .table
    @OptionGroup var home: HomeOptions

    func validate() throws {
        if kind.lowercased() == "all" {
            if name != nil { throw ValidationError("A name needs a kind: lumenctl get route NAME.") }
        } else if ManifestKind(cliName: kind) == nil && !ReplicaView.names.contains(kind.lowercased()) {
            throw ValidationError("Unknown kind '\(kind)'; use one of \(ManifestKind.cliNames), all, or replicas.")
        }
    }

    func run() throws {
        if ReplicaView.names.contains(kind.lowercased()) {
            try ReplicaView.run(model: name, output: output, home: home)
            return
        }
        let console = Console.current
        let manifestKind = ManifestKind(cliName: kind)
        let store = try home.existingStore()
        if let name, let manifestKind {
            let id = ManifestID(manifestKind, name)
            guard let object = try store?.object(id) else { throw CommandFailure.notFound(id) }
            console.write(try ObjectPresenter.render([object], format: output, single: true))
            return
        }
        let objects = try store?.objects(kind: manifestKind) ?? []
        if objects.isEmpty && (output == .table || output == .wide) {
            console.writeError("No \(manifestKind?.plural ?? "objects") found in \(home.path).\n")
            return
        }
        var nodeStatus: [String: AdminClient.NodeResult] = [:]
        if output == .table || output == .wide {
            // Nodes show whether their agent answers and which revision it serves.
            let nodes: [(name: String, admin: String)] = try objects.compactMap { object in
                guard case .node(let node) = try object.manifest().spec, let admin = node.adminAddress else { return nil }
                return (object.id.name, admin)
            }
            if !nodes.isEmpty {
                let client = AdminClient(token: AdminClient.token(environment: console.environment, home: home.path))
                for result in try client.status(of: nodes) { nodeStatus[result.node] = result }
            }
        }
        console.write(try ObjectPresenter.render(objects, format: output, single: false, nodeStatus: nodeStatus))
    }
}
