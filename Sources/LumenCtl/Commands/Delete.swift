import ArgumentParser
import LumenManifest
import LumenStore

struct Delete: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Delete objects by kind and name, or every object defined in manifest files, as one revision.",
        discussion: "An object that others still refer to cannot be deleted alone; delete or change the referrers in the same step."
    )

    @Argument(help: ArgumentHelp("The kind, then one or more names (or use -f).", valueName: "kind name"),
              completion: .list(ManifestKind.allCases.map(\.plural)))
    var target: [String] = []
    @OptionGroup var files: FileOptions
    @Flag(help: "Show what would be deleted, without writing.")
    var dryRun = false
    @OptionGroup var home: HomeOptions

    func validate() throws {
        switch (target.isEmpty, files.filename.isEmpty) {
        case (true, true): throw ValidationError("Name what to delete: lumenctl delete KIND NAME, or lumenctl delete -f PATH.")
        case (false, false): throw ValidationError("Use either KIND NAME or -f PATH, not both.")
        case (false, true):
            guard ManifestKind(cliName: target[0]) != nil else {
                throw ValidationError("Unknown kind '\(target[0])'; use one of \(ManifestKind.cliNames).")
            }
            if target.count < 2 { throw ValidationError("Missing the name: lumenctl delete \(target[0]) NAME.") }
        case (true, false): break
        }
    }

    func run() throws {
        let ids: [ManifestID]
        let source: String
        if files.filename.isEmpty, let kind = ManifestKind(cliName: target[0]) {
            ids = target.dropFirst().map { ManifestID(kind, $0) }
            source = ids.map(\.description).joined(separator: ", ")
        } else {
            ids = try files.load().map { $0.manifest.id }
            source = files.source
        }
        guard let store = try home.existingStore() else { throw CommandFailure.notFound(ids[0]) }
        let result = try store.delete(ids, source: source, dryRun: dryRun)
        ChangeReport.print(result, verb: "Deleted in")
        if result.revision != nil {
            try StatePush.pushLatest(store, home: home)
        } else if !dryRun {
            try StatePush.retryMissed(store, home: home)
        }
    }
}
