import Foundation
import Yams

/// A manifest together with where it came from, for error messages about it later.
public struct LocatedManifest: Sendable {
    public var manifest: Manifest
    /// Where the document starts.
    public var location: SourceLocation
    /// Field path → position of its value.
    public var fieldLocations: [String: SourceLocation]

    public func location(ofField path: String) -> SourceLocation {
        fieldLocations[path] ?? location
    }
}

/// Turns YAML text into validated manifests, reporting every problem in the text at once.
public enum ManifestParser {
    /// Parses all documents of one file. Throws `ManifestErrors` listing every problem found.
    public static func parse(_ text: String, file: String) throws(ManifestErrors) -> [LocatedManifest] {
        let sink = DiagnosticSink()
        var documents: [LocatedManifest] = []
        var sawDocument = false
        do {
            let parser = try Parser(yaml: text)
            while let root = try parser.nextRoot() {
                if root.isNull { continue }
                sawDocument = true
                if let document = readDocument(root, file: file, sink: sink) { documents.append(document) }
            }
        } catch let error as YamlError {
            sink.diagnostics.append(diagnostic(for: error, text: text, file: file))
        } catch {
            sink.diagnostics.append(Diagnostic(location: nil, subject: file, path: "", message: "cannot read YAML: \(error)"))
        }
        if sink.diagnostics.isEmpty && !sawDocument {
            sink.diagnostics.append(Diagnostic(
                location: nil, subject: file, path: "",
                message: "no manifests in this file; it must hold at least one document with apiVersion, kind, metadata and spec"
            ))
        }
        guard sink.diagnostics.isEmpty else {
            // In reading order, whatever order the checks ran in.
            let ordered = sink.diagnostics.enumerated().sorted { lhs, rhs in
                let left = lhs.element.location.map { ($0.line, $0.column) } ?? (0, 0)
                let right = rhs.element.location.map { ($0.line, $0.column) } ?? (0, 0)
                return left != right ? left < right : lhs.offset < rhs.offset
            }
            throw ManifestErrors(ordered.map(\.element))
        }
        return documents
    }

    private static func readDocument(_ root: Node, file: String, sink: DiagnosticSink) -> LocatedManifest? {
        let scope = DocumentScope(file: file, sink: sink)
        let before = sink.diagnostics.count
        let rootReader = ValueReader(node: root, path: FieldPath(), scope: scope)
        let manifest: Manifest? = rootReader.object { fields in
            if let version = fields.required("apiVersion", expected: ManifestKind.apiVersion),
               case .scalar(let scalar) = version.node, scalar.string != ManifestKind.apiVersion {
                version.fail("apiVersion \(ManifestKind.apiVersion)")
            }
            let kind = fields.required("kind", expected: "one of " + kindList)?.manifestKind()
            let metadata = fields.required("metadata", expected: "a mapping with name")?.object { ObjectMeta.read(&$0) }
            let specReader = fields.required("spec", expected: "a mapping of the kind's fields")
            guard let kind, let specReader else { return nil }
            let spec: ManifestSpec? = specReader.object { spec in
                switch kind {
                case .provider: ProviderSpec.read(&spec).map(ManifestSpec.provider)
                case .model: ModelSpec.read(&spec, name: metadata?.name ?? "").map(ManifestSpec.model)
                case .route: RouteSpec.read(&spec).map(ManifestSpec.route)
                case .shadowTest: ShadowTestSpec.read(&spec).map(ManifestSpec.shadowTest)
                case .node: NodeSpec.read(&spec).map(ManifestSpec.node)
                }
            }
            guard let metadata, let spec else { return nil }
            return Manifest(metadata: metadata, spec: spec)
        }
        guard let manifest, sink.diagnostics.count == before else { return nil }
        return LocatedManifest(
            manifest: manifest,
            location: scope.location(of: root) ?? SourceLocation(file: file, line: 1, column: 1),
            fieldLocations: scope.fieldLocations
        )
    }

    static var kindList: String { ManifestKind.allCases.map(\.rawValue).joined(separator: ", ") }

    private static func diagnostic(for error: YamlError, text: String, file: String) -> Diagnostic {
        switch error {
        case .scanner(let context, let problem, let mark, _),
             .parser(let context, let problem, let mark, _),
             .composer(let context, let problem, let mark, _):
            let location = SourceLocation(file: file, line: mark.line, column: mark.column)
            if lineIndentsWithTab(text, line: mark.line) || lineIndentsWithTab(text, line: mark.line - 1) {
                return Diagnostic(location: location, path: "",
                                  message: "a tab is used for indentation; YAML allows only spaces: re-indent with spaces")
            }
            var message = "malformed YAML: \(problem)"
            if let context { message += " (\(context.text) at line \(context.mark.line), column \(context.mark.column))" }
            return Diagnostic(location: location, path: "", message: message + "; fix the syntax at this position")
        case .duplicatedKeysInMapping(let duplicates, let context):
            let key = duplicates.sorted().first ?? ""
            let position = secondOccurrence(of: key, in: text, from: context.mark)
                ?? (context.mark.line, context.mark.column)
            return Diagnostic(location: SourceLocation(file: file, line: position.line, column: position.column), path: "",
                              message: "duplicate key \"\(key)\"; each field may appear once in a mapping")
        default:
            return Diagnostic(location: nil, subject: file, path: "", message: "malformed YAML: \(error)")
        }
    }

    /// Where a block mapping starting at `mark` repeats `key`, for pointing at the duplicate.
    private static func secondOccurrence(of key: String, in text: String, from mark: Mark) -> (line: Int, column: Int)? {
        let lines = yamlLines(text)
        guard mark.line >= 1, mark.line <= lines.count else { return nil }
        var seen = 0
        for index in (mark.line - 1)..<lines.count {
            let line = lines[index]
            let indent = line.prefix(while: { $0 == " " }).count
            if index > mark.line - 1 && indent < mark.column - 1 && !line.allSatisfy(\.isWhitespace) { break }
            guard indent == mark.column - 1, line.dropFirst(indent).hasPrefix(key + ":") else { continue }
            seen += 1
            if seen == 2 { return (index + 1, indent + 1) }
        }
        return nil
    }

    private static func lineIndentsWithTab(_ text: String, line: Int) -> Bool {
        let lines = yamlLines(text)
        guard line >= 1, line <= lines.count else { return false }
        return lines[line - 1].prefix(while: { $0 == " " || $0 == "\t" }).contains("\t")
    }

    /// Lines as libyaml counts them: `\n`, `\r\n`, `\r`, NEL, LS and PS all end a line.
    static func yamlLines(_ text: String) -> [Substring] {
        text.split(omittingEmptySubsequences: false) { character in
            character == "\n" || character == "\r\n" || character == "\r"
                || character == "\u{85}" || character == "\u{2028}" || character == "\u{2029}"
        }
    }
}

extension ValueReader {
    func manifestKind() -> ManifestKind? {
        guard case .scalar(let scalar) = node, let kind = ManifestKind(rawValue: scalar.string) else {
            var message = "unknown kind \"\(node.shortDescription)\"; expected one of \(ManifestParser.kindList)"
            if case .scalar(let scalar) = node,
               let suggestion = closestMatch(to: scalar.string, among: ManifestKind.allCases.map(\.rawValue)) {
                message = "unknown kind \"\(scalar.string)\"; did you mean \"\(suggestion)\"? (expected one of \(ManifestParser.kindList))"
            }
            scope.report(node, path, message)
            return nil
        }
        return kind
    }
}
