/// An ordered document tree: the canonical form of a manifest, rendered as YAML or JSON
/// with keys in a stable order (the order the kind declares its fields).
public indirect enum ManifestValue: Sendable, Hashable {
    case null
    case bool(Bool)
    /// A number kept as its exact text, so `2.50` USD never becomes `2.4999…`.
    case number(String)
    case string(String)
    case list([ManifestValue])
    case map([Entry])

    public struct Entry: Sendable, Hashable {
        public var key: String
        public var value: ManifestValue

        public init(_ key: String, _ value: ManifestValue) {
            self.key = key
            self.value = value
        }
    }

    public subscript(key: String) -> ManifestValue? {
        guard case .map(let entries) = self else { return nil }
        return entries.first(where: { $0.key == key })?.value
    }
}

/// A value with its own canonical spelling (a duration, a dollar amount).
public protocol CanonicalScalar {
    var canonicalValue: ManifestValue { get }
}

extension LumenDuration: CanonicalScalar {
    public var canonicalValue: ManifestValue { .string(description) }
}

extension USD: CanonicalScalar {
    public var canonicalValue: ManifestValue { .number(description) }
}
