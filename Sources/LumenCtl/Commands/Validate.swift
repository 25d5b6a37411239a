import ArgumentParser
import LumenManifest
import LumenStore

struct Validate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check manifests without writing anything.",
        discussion: "References are checked against the files together with what is already stored, as apply would check them."
    )

    @OptionGroup var files: FileOptions
    @OptionGroup var home: HomeOptions

    func validate() throws {
        try files.requireFiles()
    }

    func run() throws {
        let documents = try files.load()
        var state: [ManifestID: Manifest] = [:]
        for object in try home.existingStore()?.objects() ?? [] { state[object.id] = try object.manifest() }
        for document in documents { state[document.manifest.id] = document.manifest }
        let dangling = ManifestValidator.danglingReferences(in: state, documents: documents)
        guard dangling.isEmpty else { throw ManifestErrors(dangling) }

        let counts = Dictionary(grouping: documents, by: \.manifest.kind).mapValues(\.count)
        let summary = ManifestKind.allCases.compactMap { kind in
            counts[kind].map { "\($0) \($0 == 1 ? kind.singular : kind.plural)" }
        }.joined(separator: ", ")
        Console.current.write("Valid: \(documents.count) manifest\(documents.count == 1 ? "" : "s") (\(summary)).\n")
    }
}
