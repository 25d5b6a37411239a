/// A string-keyed map that encodes its keys in sorted order, so canonical output is stable.
public struct SortedMap<Value: Codable & Sendable & Hashable>: Codable, Sendable, Hashable, Sequence {
    public var values: [String: Value]

    public init(_ values: [String: Value] = [:]) {
        self.values = values
    }

    public var isEmpty: Bool { values.isEmpty }

    public subscript(key: String) -> Value? { values[key] }

    public func makeIterator() -> IndexingIterator<[(key: String, value: Value)]> {
        values.sorted(by: { $0.key < $1.key }).makeIterator()
    }

    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    public init(from decoder: any Decoder) throws {
        values = try decoder.singleValueContainer().decode([String: Value].self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        for (key, value) in self {
            try container.encode(value, forKey: Key(stringValue: key))
        }
    }
}
