/// A JSON document that keeps key order and number text: requests are rewritten and relayed
/// without reordering, and manifests print in a stable canonical order.
public enum JSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    /// A number kept as its exact text, so `2.50` USD never becomes `2.4999…`.
    case number(String)
    case string(String)
    case list([JSONValue])
    case map([Entry])

    public struct Entry: Sendable, Hashable {
        public var key: String
        public var value: JSONValue

        public init(_ key: String, _ value: JSONValue) {
            self.key = key
            self.value = value
        }
    }

    public subscript(key: String) -> JSONValue? {
        guard case .map(let entries) = self else { return nil }
        return entries.first(where: { $0.key == key })?.value
    }
}
