/// The kinds of document a manifest file may hold.
public enum ManifestKind: String, CaseIterable, Sendable, Codable, Comparable {
    case provider = "Provider"
    case model = "Model"
    case route = "Route"
    case shadowTest = "ShadowTest"
    case node = "Node"

    public static let apiVersion = "lumen.ai/v1"

    /// The lowercase singular used in references and CLI output: `route/auto`.
    public var singular: String { rawValue.lowercased() }

    public var plural: String { singular + "s" }

    /// Every spelling the CLI accepts for this kind.
    public var aliases: [String] {
        switch self {
        case .provider: ["provider", "providers", "pv"]
        case .model: ["model", "models", "mo"]
        case .route: ["route", "routes", "rt"]
        case .shadowTest: ["shadowtest", "shadowtests", "shadow", "shadows", "st"]
        case .node: ["node", "nodes", "no"]
        }
    }

    /// Resolves a CLI spelling (`routes`, `route`, `rt`, `Route`); `nil` when unknown.
    public init?(cliName: String) {
        let lowered = cliName.lowercased()
        guard let kind = Self.allCases.first(where: { $0.aliases.contains(lowered) || $0.rawValue.lowercased() == lowered })
        else { return nil }
        self = kind
    }

    /// Apply order: what others refer to comes first.
    var order: Int {
        switch self {
        case .provider: 0
        case .node: 1
        case .model: 2
        case .route: 3
        case .shadowTest: 4
        }
    }

    public static func < (lhs: ManifestKind, rhs: ManifestKind) -> Bool {
        lhs.order < rhs.order
    }
}

/// The naming rule shared by every kind.
public enum ManifestName {
    public static let rule =
        "a name of 1–63 characters: lowercase letters, digits, '-', '.' or '_', starting and ending with a letter or digit"

    public static func isValid(_ name: String) -> Bool {
        guard (1...63).contains(name.count),
              let first = name.unicodeScalars.first, let last = name.unicodeScalars.last,
              isAlphanumeric(first), isAlphanumeric(last)
        else { return false }
        return name.unicodeScalars.allSatisfy { isAlphanumeric($0) || $0 == "-" || $0 == "." || $0 == "_" }
    }

    private static func isAlphanumeric(_ scalar: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(scalar) || ("0"..."9").contains(scalar)
    }
}

/// Identifies one object: its kind and name, written `route/auto`.
public struct ManifestID: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var kind: ManifestKind
    public var name: String

    public init(_ kind: ManifestKind, _ name: String) {
        self.kind = kind
        self.name = name
    }

    public var description: String { "\(kind.singular)/\(name)" }

    public static func < (lhs: ManifestID, rhs: ManifestID) -> Bool {
        (lhs.kind, lhs.name) < (rhs.kind, rhs.name)
    }
}
