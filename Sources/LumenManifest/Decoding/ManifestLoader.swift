public import Foundation

/// Reads manifest files, folders and stdin, and parses them into one set of documents.
public struct ManifestLoader: Sendable {
    /// Larger files are refused before they are read whole: a manifest set is text written by people.
    public static let maxFileBytes = 8 * 1024 * 1024

    public var readStandardInput: @Sendable () -> Data
    /// Whether folders are searched in their sub-folders too (`-R`).
    public var recursive: Bool

    public init(recursive: Bool = false, readStandardInput: @escaping @Sendable () -> Data = ManifestLoader.readStandardInput) {
        self.recursive = recursive
        self.readStandardInput = readStandardInput
    }

    /// Standard input, read only up to one byte past the size limit.
    @Sendable public static func readStandardInput() -> Data {
        FileHandle.standardInput.readData(ofLength: maxFileBytes + 1)
    }

    /// One input's name (path or `<stdin>`) and bytes.
    public struct Source: Sendable {
        public var name: String
        public var bytes: Data

        public init(name: String, bytes: Data) {
            self.name = name
            self.bytes = bytes
        }
    }

    /// Loads every path (a file, a folder searched for `*.yaml`/`*.yml`, or `-` for stdin), parses all
    /// of them, and checks that no object is defined twice. Throws `ManifestErrors` with every problem.
    public func load(paths: [String]) throws(ManifestErrors) -> [LocatedManifest] {
        var diagnostics: [Diagnostic] = []
        var sources: [Source] = []
        var seenFiles: Set<String> = []
        for path in paths {
            do throws(ManifestErrors) {
                // A file named twice (directly or through a folder) is read once.
                sources += try read(path: path).filter { $0.name == "<stdin>" || seenFiles.insert(Self.identity(of: $0.name)).inserted }
            } catch {
                diagnostics += error.diagnostics
            }
        }
        var documents: [LocatedManifest] = []
        for source in sources {
            do throws(ManifestErrors) {
                documents += try Self.parse(source)
            } catch {
                diagnostics += error.diagnostics
            }
        }
        diagnostics += ManifestValidator.duplicates(in: documents)
        guard diagnostics.isEmpty else { throw ManifestErrors(diagnostics) }
        return documents
    }

    /// Decodes one source's bytes (UTF-8, BOM allowed) and parses its documents.
    public static func parse(_ source: Source) throws(ManifestErrors) -> [LocatedManifest] {
        guard source.bytes.count <= maxFileBytes else { throw ManifestErrors([tooLarge(source.name, bytes: source.bytes.count)]) }
        var bytes = source.bytes[...]
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes = bytes.dropFirst(3) }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw ManifestErrors([notUTF8(source.name, bytes: Data(bytes))])
        }
        return try ManifestParser.parse(text, file: source.name)
    }

    private func read(path: String) throws(ManifestErrors) -> [Source] {
        if path == "-" {
            let data = readStandardInput()
            guard data.count <= Self.maxFileBytes else { throw ManifestErrors([Self.tooLarge("<stdin>", bytes: nil)]) }
            return [Source(name: "<stdin>", bytes: data)]
        }
        let fileManager = FileManager.default
        var isDirectory: ObjCBool = false
        guard fileManager.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ManifestErrors([Diagnostic(location: nil, subject: path, path: "",
                                             message: "no such file or folder; check the path given to -f")])
        }
        if isDirectory.boolValue {
            let files = Self.manifestFiles(under: path, recursive: recursive)
            guard !files.isEmpty else {
                throw ManifestErrors([Diagnostic(location: nil, subject: path, path: "",
                                                 message: recursive ? "this folder holds no .yaml or .yml files"
                                                    : "this folder holds no .yaml or .yml files (add -R to search its sub-folders)")])
            }
            var sources: [Source] = []
            var diagnostics: [Diagnostic] = []
            for file in files {
                do throws(ManifestErrors) { sources.append(try Self.readFile(file)) } catch { diagnostics += error.diagnostics }
            }
            guard diagnostics.isEmpty else { throw ManifestErrors(diagnostics) }
            return sources
        }
        return [try Self.readFile(path)]
    }

    /// The absolute, symlink-free path: how two spellings of one file are recognised.
    public static func identity(of path: String) -> String {
        URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path
    }

    private static func readFile(_ path: String) throws(ManifestErrors) -> Source {
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        guard size <= maxFileBytes else { throw ManifestErrors([tooLarge(path, bytes: size)]) }
        // A bounded read also serves pipes and devices (`-f <(...)`, `/dev/stdin`), whose size is unknown.
        guard let handle = FileHandle(forReadingAtPath: path),
              let data = try? handle.read(upToCount: maxFileBytes + 1)
        else {
            throw ManifestErrors([Diagnostic(location: nil, subject: path, path: "",
                                             message: "cannot read this file; check that it exists and that you may read it")])
        }
        try? handle.close()
        guard data.count <= maxFileBytes else { throw ManifestErrors([tooLarge(path, bytes: nil)]) }
        return Source(name: path, bytes: data)
    }

    /// `*.yaml` and `*.yml` in a folder (and its sub-folders when `recursive`), in a stable order;
    /// hidden entries are skipped.
    static func manifestFiles(under folder: String, recursive: Bool) -> [String] {
        // Enumerate the real folder, so a symlinked folder (a mounted ConfigMap, say) is read too.
        let root = URL(fileURLWithPath: folder).resolvingSymlinksInPath()
        var options: FileManager.DirectoryEnumerationOptions = [.skipsHiddenFiles]
        if !recursive { options.insert(.skipsSubdirectoryDescendants) }
        guard let enumerator = FileManager.default.enumerator(
            at: root, includingPropertiesForKeys: [.isRegularFileKey], options: options
        ) else { return [] }
        var files: [String] = []
        for case let url as URL in enumerator where ["yaml", "yml"].contains(url.pathExtension.lowercased()) {
            let relative = url.path.dropFirst(root.path.count).drop(while: { $0 == "/" })
            files.append(folder.hasSuffix("/") ? folder + relative : folder + "/" + relative)
        }
        return files.sorted()
    }

    private static func tooLarge(_ name: String, bytes: Int?) -> Diagnostic {
        let limit = maxFileBytes / (1024 * 1024)
        let size = bytes.map { String(format: " is %.1f MiB;", Double($0) / 1_048_576) } ?? " is too large;"
        return Diagnostic(location: nil, subject: name, path: "",
                          message: "this file\(size) a manifest file may be at most \(limit) MiB: split it into several files")
    }

    private static func notUTF8(_ name: String, bytes: Data) -> Diagnostic {
        var offset = 0
        var line = 1
        var column = 1
        var iterator = bytes.makeIterator()
        var decoder = UTF8()
        decoding: while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let scalar):
                offset += UTF8.width(scalar)
                if scalar == "\n" { line += 1; column = 1 } else { column += 1 }
            case .emptyInput, .error:
                break decoding
            }
        }
        return Diagnostic(location: SourceLocation(file: name, line: line, column: column), path: "",
                          message: "the file is not UTF-8 text (bad byte at offset \(offset)); save it as UTF-8")
    }
}
