public import LumenAPI
import Foundation

extension Manifest {
    /// The canonical tree: every field in the kind's order, defaults filled in, absent optionals left out.
    public var canonicalValue: ManifestValue {
        // Encoding plain value types into a tree cannot fail.
        (try? ValueEncoder().encode(self)) ?? .null
    }

    /// What `get -o yaml` prints and what the store compares to decide whether an object changed.
    public var canonicalYAML: String { canonicalValue.yaml() }

    /// Compact canonical JSON, the form the store keeps.
    public var canonicalJSON: String { canonicalValue.json(pretty: false) }

    /// Reads a manifest back from its stored canonical JSON.
    public init(canonicalJSON: String) throws {
        self = try JSONDecoder().decode(Manifest.self, from: Data(canonicalJSON.utf8))
    }
}
