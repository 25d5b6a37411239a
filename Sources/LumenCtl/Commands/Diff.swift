import ArgumentParser
import LumenManifest
import LumenStore

struct Diff: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show what applying manifests would change, as a unified diff of the canonical YAML."
    )

    @OptionGroup var files: FileOptions
    @Flag(help: "Exit with 2 when there are differences (1 stays for errors), for scripts.")
    var exitCode = false
    @OptionGroup var home: HomeOptions

    func validate() throws {
        try files.requireFiles()
    }

    func run() throws {
        let documents = try files.load()
        let console = Console.current
        let result = try ChangePreview.apply(documents, home: home, source: files.source)
        for change in result.changes where change.kind != .unchanged {
            let oldLabel = change.before == nil ? "/dev/null" : "\(change.id) (stored)"
            let newLabel = change.after == nil ? "/dev/null" : "\(change.id) (\(files.filename.joined(separator: ", ")))"
            console.write(LineDiff.unified(
                old: change.before?.canonicalYAML ?? "", new: change.after?.canonicalYAML ?? "",
                oldLabel: oldLabel, newLabel: newLabel, console: console))
        }
        if !result.hasChanges { console.writeError("No differences: the store already matches \(files.source).\n") }
        if exitCode && result.hasChanges { throw ExitCode(2) }
    }
}
