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
        // References are checked exactly as a dry-run apply checks them.
        _ = try ChangePreview.apply(documents, home: home, source: files.source)

        let counts = Dictionary(grouping: documents, by: \.manifest.kind).mapValues(\.count)
        let summary = ManifestKind.allCases.compactMap { kind in
            counts[kind].map { "\($0) \($0 == 1 ? kind.singular : kind.plural)" }
        }.joined(separator: ", ")
        Console.current.write("Valid: \(documents.count) manifest\(documents.count == 1 ? "" : "s") (\(summary)).\n")
    }
}
