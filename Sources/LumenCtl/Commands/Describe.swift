import ArgumentParser
import LumenManifest
import LumenStore

struct Describe: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show one object in detail: its spec with defaults, what refers to it, and its history."
    )

    @Argument(help: ArgumentHelp("The object's kind.", valueName: "kind"), completion: .list(ManifestKind.allCases.map(\.plural)))
    var kind: KindArgument
    @Argument(help: ArgumentHelp("The object's name.", valueName: "name"))
    var name: String
    @OptionGroup var home: HomeOptions

    func run() throws {
        let id = ManifestID(kind.kind, name)
        guard let store = try home.existingStore(), let object = try store.object(id) else { throw NotFound(id: id) }
        let console = Console.current
        let manifest = try object.manifest()
        var out = ""
        out += "Name:       \(manifest.name)\n"
        out += "Kind:       \(manifest.kind.rawValue)\n"
        let labels = manifest.metadata.labels.map { $0.map { "\($0.key)=\($0.value)" }.joined(separator: ", ") }
        out += "Labels:     \(labels ?? "<none>")\n"
        out += "Revision:   \(object.revision) (\(object.updatedAt))\n"

        let all = try store.objects()
        let refersTo = manifest.references.map(\.target.description)
        let referredBy = try all.filter { other in try other.manifest().references.contains { $0.target == id } }.map(\.id.description)
        out += "Refers to:  \(refersTo.isEmpty ? "<none>" : uniqueInOrder(refersTo).joined(separator: ", "))\n"
        out += "Used by:    \(referredBy.isEmpty ? "<none>" : referredBy.joined(separator: ", "))\n"
        out += "Spec:\n"
        let spec = manifest.canonicalValue["spec"] ?? .null
        for line in spec.yaml().split(separator: "\n", omittingEmptySubsequences: false) where !line.isEmpty {
            out += "  " + line + "\n"
        }
        out += "History:\n"
        var table = Table(headers: ["REVISION", "TIME", "CHANGE"])
        for event in try store.history(of: id).suffix(10) {
            table.rows.append([String(event.revision), event.createdAt, event.kind.rawValue])
        }
        out += table.render().split(separator: "\n").map { "  " + $0 + "\n" }.joined()
        console.write(out)
    }

    private func uniqueInOrder(_ items: [String]) -> [String] {
        var seen: Set<String> = []
        return items.filter { seen.insert($0).inserted }
    }
}
