import ArgumentParser
import LumenManifest
import LumenStore

/// Options every command takes.
struct HomeOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The Lumen home folder holding control.db (default: $LUMEN_HOME, else ~/.lumen).", valueName: "dir"),
            completion: .directory)
    var home: String?

    var path: String { LumenHome.resolve(flag: home, environment: Console.current.environment) }

    /// Opens the store, creating it when needed (write commands).
    func openStore() throws -> ControlStore {
        try ControlStore(home: path)
    }

    /// Opens the store only if it exists (read commands never create one).
    func existingStore() throws -> ControlStore? {
        try ControlStore.openExisting(home: path)
    }
}

/// `-f PATH` options for commands that read manifests.
struct FileOptions: ParsableArguments {
    @Option(name: [.customShort("f"), .long],
            help: ArgumentHelp("A manifest file, a folder of .yaml/.yml files, or - for stdin. Repeat for more.", valueName: "path"),
            completion: .file(extensions: ["yaml", "yml"]))
    var filename: [String] = []

    @Flag(name: [.customShort("R"), .long], help: "Read folders named by -f recursively.")
    var recursive = false

    /// Commands that need input call this from their own `validate()`; `delete` takes names instead.
    func requireFiles() throws {
        if filename.isEmpty { throw ValidationError("Missing -f PATH: name a manifest file, a folder, or - for stdin.") }
    }

    func load() throws -> [LocatedManifest] {
        let console = Console.current
        return try ManifestLoader(recursive: recursive, readStandardInput: console.standardInput).load(paths: filename)
    }

    /// What a revision records as its source: absolute paths, so history reads the same from anywhere.
    var source: String {
        filename.map { $0 == "-" ? "<stdin>" : ManifestLoader.identity(of: $0) }.joined(separator: ", ")
    }
}

enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case table, wide, json, yaml
}

/// A kind named on the command line: `routes`, `route`, `rt`, `Route`.
struct KindArgument: ExpressibleByArgument {
    var kind: ManifestKind

    init?(argument: String) {
        guard let kind = ManifestKind(cliName: argument) else { return nil }
        self.kind = kind
    }

    static var allValueStrings: [String] { ManifestKind.allCases.map(\.plural) }

    static var defaultCompletionKind: CompletionKind { .list(allValueStrings) }
}

extension ManifestKind {
    static var cliNames: String { allCases.map(\.plural).joined(separator: ", ") }
}
