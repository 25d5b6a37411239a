/// Checks that span documents: duplicates within one input, and references in a resulting state.
public enum ManifestValidator {
    /// Every object defined more than once in the same input.
    public static func duplicates(in documents: [LocatedManifest]) -> [Diagnostic] {
        var first: [ManifestID: SourceLocation] = [:]
        var diagnostics: [Diagnostic] = []
        for document in documents {
            let id = document.manifest.id
            let location = document.location(ofField: "metadata.name")
            if let earlier = first[id] {
                diagnostics.append(Diagnostic(location: location, path: "metadata.name",
                                              message: "\(id) is defined twice (first at \(earlier)); keep one of them"))
            } else {
                first[id] = location
            }
        }
        return diagnostics
    }

    /// Every reference in `state` (the objects as they would be after a change) that names a missing object.
    /// Objects from `documents` are reported at their file position; stored ones by their id.
    public static func danglingReferences(in state: [ManifestID: Manifest], documents: [LocatedManifest]) -> [Diagnostic] {
        let located = Dictionary(documents.map { ($0.manifest.id, $0) }, uniquingKeysWith: { _, last in last })
        var diagnostics: [Diagnostic] = []
        for id in state.keys.sorted() {
            guard let manifest = state[id] else { continue }
            for reference in manifest.references where state[reference.target] == nil {
                let known = state.keys.filter { $0.kind == reference.target.kind }.map(\.name).sorted()
                var message = "\(reference.target) does not exist"
                if let suggestion = closestMatch(to: reference.target.name, among: known) {
                    message += "; did you mean \"\(suggestion)\"?"
                } else if known.isEmpty {
                    message += "; define it with kind \(reference.target.kind.rawValue) in the same apply or apply it first"
                } else {
                    message += "; known \(reference.target.kind.plural): \(known.prefix(8).joined(separator: ", "))"
                        + (known.count > 8 ? ", …" : "")
                }
                if let document = located[id] {
                    diagnostics.append(Diagnostic(location: document.location(ofField: reference.path),
                                                  path: reference.path, message: message))
                } else {
                    diagnostics.append(Diagnostic(location: nil, subject: id.description, path: reference.path,
                                                  message: message + " (it is stored; change or delete \(id) first)"))
                }
            }
        }
        return diagnostics
    }
}

extension ManifestValidator {
    /// Objects left in `state` that still refer to one of `deleted`: each blocks the delete.
    public static func referencesToDeleted(_ deleted: Set<ManifestID>, in state: [ManifestID: Manifest]) -> [Diagnostic] {
        var diagnostics: [Diagnostic] = []
        for id in state.keys.sorted() {
            guard let manifest = state[id] else { continue }
            for reference in manifest.references where deleted.contains(reference.target) {
                diagnostics.append(Diagnostic(
                    location: nil, subject: "cannot delete \(reference.target)", path: "",
                    message: "\(id) refers to it (\(reference.path)); delete \(id) in the same step or change it first"))
            }
        }
        return diagnostics
    }
}
