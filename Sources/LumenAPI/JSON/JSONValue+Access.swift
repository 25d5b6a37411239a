extension JSONValue {
    public var stringValue: String? {
        if case .string(let text) = self { return text }
        return nil
    }

    public var boolValue: Bool? {
        if case .bool(let flag) = self { return flag }
        return nil
    }

    /// An integer written without fraction or exponent.
    public var intValue: Int? {
        if case .number(let text) = self { return Int(text) }
        return nil
    }

    public var doubleValue: Double? {
        if case .number(let text) = self { return Double(text) }
        return nil
    }

    public var arrayValue: [JSONValue]? {
        if case .list(let items) = self { return items }
        return nil
    }

    public var entries: [Entry]? {
        if case .map(let entries) = self { return entries }
        return nil
    }

    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    /// A copy with `key` set (replacing an existing entry in place, or appended).
    public func setting(_ key: String, _ value: JSONValue) -> JSONValue {
        guard case .map(var entries) = self else { return self }
        if let index = entries.firstIndex(where: { $0.key == key }) {
            entries[index].value = value
        } else {
            entries.append(Entry(key, value))
        }
        return .map(entries)
    }

    /// A copy without `key`.
    public func removing(_ key: String) -> JSONValue {
        guard case .map(let entries) = self else { return self }
        return .map(entries.filter { $0.key != key })
    }

    /// A name for the JSON type, for error messages.
    public var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .number: "a number"
        case .string: "a string"
        case .list: "an array"
        case .map: "an object"
        }
    }
}
