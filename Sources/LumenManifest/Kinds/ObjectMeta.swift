import Yams
/// `metadata:` of every document.
public struct ObjectMeta: Codable, Sendable, Hashable {
    public var name: String
    public var labels: SortedMap<String>?

    public init(name: String, labels: SortedMap<String>? = nil) {
        self.name = name
        self.labels = labels
    }

    static func read(_ object: inout ObjectReader) -> ObjectMeta? {
        let name = object.required("name", expected: ManifestName.rule)?.name()
        let labels = object.optional("labels") { $0.map(key: LabelRule.isValidKey, keyRule: LabelRule.keyRule) { $0.labelValue() } }
        guard let name else { return nil }
        return ObjectMeta(name: name, labels: labels.map(SortedMap.init))
    }
}

/// Label keys and values, as used in `metadata.labels`, node labels and node selectors.
enum LabelRule {
    static let keyRule = "a label key (letters, digits, '-', '.', '_', '/'; at most 253 characters)"

    static func isValidKey(_ key: String) -> Bool {
        guard (1...253).contains(key.count) else { return false }
        return key.unicodeScalars.allSatisfy {
            ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || "-._/".unicodeScalars.contains($0)
        }
    }
}

extension ValueReader {
    func labelValue() -> String? {
        guard case .scalar(let scalar) = node, scalar.string.count <= 63,
              !scalar.string.unicodeScalars.contains(where: \.isControlOrLineBreak)
        else {
            fail("a label value of at most 63 characters, without control characters or line breaks")
            return nil
        }
        return scalar.string
    }
}

extension Unicode.Scalar {
    /// C0 and C1 controls, DEL, and Unicode line and paragraph separators: never wanted in a one-line value.
    var isControlOrLineBreak: Bool {
        value < 0x20 || (0x7F...0x9F).contains(value) || value == 0x2028 || value == 0x2029
    }
}
