/// Converting the caller's values into runtime values.
extension Value {
    /// Deeper input than this is refused: printing or comparing it recurses.
    static let maxInputNesting = 256

    init(_ value: TemplateValue, depth: Int = 0) throws(TemplateError) {
        guard depth < Value.maxInputNesting else {
            throw .limit("a context value is nested more than \(Value.maxInputNesting) levels deep")
        }
        switch value {
        case .none: self = .none
        case .bool(let flag): self = .bool(flag)
        case .int(let number): self = .int(number)
        case .double(let number): self = .double(number)
        case .string(let text): self = .string(text)
        case .array(let items):
            var converted: [Value] = []
            converted.reserveCapacity(items.count)
            for item in items { converted.append(try Value(item, depth: depth + 1)) }
            self = .list(converted)
        case .object(let object):
            var dictionary = ValueDictionary()
            for (key, item) in object { dictionary[key] = try Value(item, depth: depth + 1) }
            self = .dict(dictionary)
        }
    }
}
