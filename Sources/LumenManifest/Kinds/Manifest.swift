/// The spec of one document, by kind.
public enum ManifestSpec: Sendable, Hashable {
    case provider(ProviderSpec)
    case model(ModelSpec)
    case route(RouteSpec)
    case shadowTest(ShadowTestSpec)
    case node(NodeSpec)

    public var kind: ManifestKind {
        switch self {
        case .provider: .provider
        case .model: .model
        case .route: .route
        case .shadowTest: .shadowTest
        case .node: .node
        }
    }
}

/// One validated document: `apiVersion`, `kind`, `metadata`, `spec`, with defaults filled in.
public struct Manifest: Sendable, Hashable, Codable {
    public var metadata: ObjectMeta
    public var spec: ManifestSpec

    public init(metadata: ObjectMeta, spec: ManifestSpec) {
        self.metadata = metadata
        self.spec = spec
    }

    public var kind: ManifestKind { spec.kind }
    public var name: String { metadata.name }
    public var id: ManifestID { ManifestID(kind, name) }

    /// Names of the objects this one refers to, with the field path of each reference.
    public var references: [(path: String, target: ManifestID)] {
        switch spec {
        case .model(let model):
            return model.provider.map { [("spec.provider", ManifestID(.provider, $0))] } ?? []
        case .route(let route):
            return route.candidates.enumerated().map { ("spec.candidates[\($0.offset)]", ManifestID(.model, $0.element)) }
        case .shadowTest(let test):
            return [("spec.route", ManifestID(.route, test.route)), ("spec.candidate", ManifestID(.model, test.candidate))]
        case .provider, .node:
            return []
        }
    }

    private enum CodingKeys: String, CodingKey {
        case apiVersion, kind, metadata, spec
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let kind = try container.decode(ManifestKind.self, forKey: .kind)
        metadata = try container.decode(ObjectMeta.self, forKey: .metadata)
        switch kind {
        case .provider: spec = .provider(try container.decode(ProviderSpec.self, forKey: .spec))
        case .model: spec = .model(try container.decode(ModelSpec.self, forKey: .spec))
        case .route: spec = .route(try container.decode(RouteSpec.self, forKey: .spec))
        case .shadowTest: spec = .shadowTest(try container.decode(ShadowTestSpec.self, forKey: .spec))
        case .node: spec = .node(try container.decode(NodeSpec.self, forKey: .spec))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(ManifestKind.apiVersion, forKey: .apiVersion)
        try container.encode(kind, forKey: .kind)
        try container.encode(metadata, forKey: .metadata)
        switch spec {
        case .provider(let spec): try container.encode(spec, forKey: .spec)
        case .model(let spec): try container.encode(spec, forKey: .spec)
        case .route(let spec): try container.encode(spec, forKey: .spec)
        case .shadowTest(let spec): try container.encode(spec, forKey: .spec)
        case .node(let spec): try container.encode(spec, forKey: .spec)
        }
    }
}
