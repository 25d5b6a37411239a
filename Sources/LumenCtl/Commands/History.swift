import LumenAPI
import ArgumentParser
import LumenManifest
import LumenStore

struct History: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List revisions, or the versions of one object."
    )

    @Argument(help: ArgumentHelp("An object's kind (with NAME) to show its versions.", valueName: "kind"),
              completion: .list(ManifestKind.allCases.map(\.plural)))
    var kind: KindArgument?
    @Argument(help: ArgumentHelp("The object's name.", valueName: "name"))
    var name: String?
    @Option(name: .shortAndLong, help: "Output format: table, wide, json or yaml.")
    var output: OutputFormat = .table
    @OptionGroup var home: HomeOptions

    func validate() throws {
        if kind != nil && name == nil { throw ValidationError("Missing the name: lumenctl history KIND NAME.") }
    }

    func run() throws {
        let console = Console.current
        let store = try home.existingStore()
        if let kind, let name {
            let id = ManifestID(kind.kind, name)
            let events = try store?.history(of: id) ?? []
            guard !events.isEmpty else { throw CommandFailure.notFound(id) }
            switch output {
            case .json: console.write(ObjectPresenter.historyValue(events, includeObjects: true).json() + "\n")
            case .yaml: console.write(ObjectPresenter.historyValue(events, includeObjects: true).yaml())
            case .table, .wide: console.write(ObjectPresenter.historyTable(events).render())
            }
            return
        }
        let revisions = try store?.revisions() ?? []
        switch output {
        case .json, .yaml:
            let values = ManifestValue.list(revisions.map { revision in
                ManifestValue.map([
                    .init("revision", .number(String(revision.id))), .init("time", .string(revision.createdAt)),
                    .init("action", .string(revision.action.rawValue)), .init("source", .string(revision.source)),
                    .init("actor", .string(revision.actor)),
                    .init("rollbackOf", revision.rollbackOf.map { .number(String($0)) } ?? .null),
                    .init("created", .number(String(revision.createdCount))),
                    .init("configured", .number(String(revision.changedCount))),
                    .init("deleted", .number(String(revision.deletedCount))),
                ])
            })
            console.write(output == .json ? values.json() + "\n" : values.yaml())
        case .table, .wide:
            guard !revisions.isEmpty else {
                console.writeError("No revisions yet in \(home.path); apply manifests with lumenctl apply -f PATH.\n")
                return
            }
            var table = Table(headers: ["REVISION", "TIME", "ACTION", "CHANGES", "SOURCE"] + (output == .wide ? ["ACTOR"] : []))
            for revision in revisions.reversed() {
                let changes = "+\(revision.createdCount) ~\(revision.changedCount) -\(revision.deletedCount)"
                let source = output == .wide ? revision.source : revision.source.truncated(to: 50)
                table.rows.append([String(revision.id), revision.createdAt, revision.action.rawValue, changes, source]
                                  + (output == .wide ? [revision.actor] : []))
            }
            console.write(table.render())
        }
    }
}
