import LumenAPI
import ArgumentParser
import LumenManifest
import LumenStore

struct Describe: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show one object in detail: its spec with defaults, what it refers to, what uses it, and its history."
    )

    @Argument(help: ArgumentHelp("The object's kind.", valueName: "kind"), completion: .list(ManifestKind.allCases.map(\.plural)))
    var kind: KindArgument
    @Argument(help: ArgumentHelp("The object's name.", valueName: "name"))
    var name: String
    @Option(name: .shortAndLong, help: "Output format: table (readable text), wide, json or yaml.")
    var output: OutputFormat = .table
    @OptionGroup var home: HomeOptions

    func run() throws {
        let id = ManifestID(kind.kind, name)
        guard let store = try home.existingStore(), let object = try store.object(id) else { throw CommandFailure.notFound(id) }
        let manifest = try object.manifest()
        var refersTo: [String] = []
        for reference in manifest.references where !refersTo.contains(reference.target.description) {
            refersTo.append(reference.target.description)
        }
        let usedBy = try store.objects().filter { other in
            try other.manifest().references.contains { $0.target == id }
        }.map(\.id.description)
        let history = try store.history(of: id)

        let console = Console.current
        switch output {
        case .json, .yaml:
            let value = ManifestValue.map([
                .init("object", try object.canonicalValue()),
                .init("revision", .number(String(object.revision))),
                .init("updatedAt", .string(object.updatedAt)),
                .init("refersTo", .list(refersTo.map(ManifestValue.string))),
                .init("usedBy", .list(usedBy.map(ManifestValue.string))),
                .init("history", ObjectPresenter.historyValue(history, includeObjects: false)),
            ])
            console.write(output == .json ? value.json() + "\n" : value.yaml())
        case .table, .wide:
            var out = ""
            out += "Name:       \(manifest.name)\n"
            out += "Kind:       \(manifest.kind.rawValue)\n"
            let labels = manifest.metadata.labels.map { $0.map { "\($0.key)=\($0.value)" }.joined(separator: ", ") }
            out += "Labels:     \(labels ?? "<none>")\n"
            out += "Revision:   \(object.revision) (\(object.updatedAt))\n"
            out += "Refers to:  \(refersTo.isEmpty ? "<none>" : refersTo.joined(separator: ", "))\n"
            out += "Used by:    \(usedBy.isEmpty ? "<none>" : usedBy.joined(separator: ", "))\n"
            out += "Spec:\n"
            let spec = manifest.canonicalValue["spec"] ?? .null
            for line in spec.yaml().split(separator: "\n") { out += "  " + line + "\n" }
            let shown = output == .wide ? history[...] : history.suffix(10)
            out += shown.count < history.count
                ? "History (last \(shown.count) of \(history.count); -o wide or lumenctl history \(id.kind.singular) \(id.name) shows all):\n"
                : "History:\n"
            out += ObjectPresenter.historyTable(shown).render().split(separator: "\n").map { "  " + $0 + "\n" }.joined()
            console.write(out)
        }
    }
}
