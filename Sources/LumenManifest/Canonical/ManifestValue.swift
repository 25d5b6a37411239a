public import LumenAPI

/// The canonical form of a manifest: a JSON tree with keys in the order the kind declares its
/// fields, rendered as YAML or JSON.
public typealias ManifestValue = JSONValue

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
