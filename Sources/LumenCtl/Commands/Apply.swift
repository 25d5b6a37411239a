import ArgumentParser
import LumenManifest
import LumenStore

struct Apply: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Validate manifests and store them as one new revision.",
        discussion: "Everything is validated first; on any error nothing is written. Objects not named in the input are left as they are."
    )

    @OptionGroup var files: FileOptions
    @Flag(help: "Validate and show what would change, without writing.")
    var dryRun = false
    @OptionGroup var home: HomeOptions

    func validate() throws {
        try files.requireFiles()
    }

    func run() throws {
        let documents = try files.load()
        if dryRun {
            ChangeReport.print(try ChangePreview.apply(documents, home: home, source: files.source), verb: "Applied")
            return
        }
        let store = try home.openStore()
        let result = try store.apply(documents, source: files.source)
        ChangeReport.print(result, verb: "Applied")
        if result.revision != nil {
            try StatePush.pushLatest(store, home: home)
        } else {
            try StatePush.retryMissed(store, home: home)
        }
    }
}

/// The lines an apply, delete or rollback prints: one per object, then a summary.
enum ChangeReport {
    static func print(_ result: ChangeResult, verb: String) {
        let console = Console.current
        let suffix = result.dryRun ? " (dry run)" : ""
        for change in result.changes {
            let style: Console.Style = switch change.kind {
            case .created: .green
            case .configured: .yellow
            case .deleted: .red
            case .unchanged: .dim
            }
            console.write("\(change.id) \(console.styled(change.kind.rawValue, style))\(suffix)\n")
        }
        let counts = [ChangeKind.created, .configured, .deleted, .unchanged]
            .map { (result.count($0), $0.rawValue) }.filter { $0.0 > 0 }.map { "\($0.0) \($0.1)" }
            .joined(separator: ", ")
        let base = result.baseRevision.map { "revision \($0)" } ?? "an empty store"
        if result.dryRun {
            console.write(result.hasChanges
                ? "Dry run against \(base): \(counts); nothing was written.\n"
                : "Dry run against \(base): no changes.\n")
        } else if let revision = result.revision {
            console.write("\(verb) revision \(revision): \(counts).\n")
        } else {
            console.write("No changes; the store stays at \(base).\n")
        }
    }
}
