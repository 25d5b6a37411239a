/// A dictionary that keeps insertion order, as Python's does: templates print keys in the
/// order the request gave them, and `tojson` must too.
struct ValueDictionary {
    private(set) var keys: [String] = []
    private var storage: [String: Value] = [:]

    init() {}

    init(_ entries: some Sequence<(String, Value)>) {
        for (key, value) in entries {
            self[key] = value
        }
    }

    var count: Int { keys.count }
    var isEmpty: Bool { keys.isEmpty }

    subscript(key: String) -> Value? {
        get { storage[key] }
        set {
            if let newValue {
                if storage.updateValue(newValue, forKey: key) == nil {
                    keys.append(key)
                }
            } else if storage.removeValue(forKey: key) != nil {
                keys.removeAll { $0 == key }
            }
        }
    }

    /// Entries in insertion order.
    var entries: [(key: String, value: Value)] {
        keys.map { ($0, storage[$0] ?? .none) }
    }

    var values: [Value] {
        keys.map { storage[$0] ?? .none }
    }
}
