/// The arguments of a call, bound to parameter names the way Python binds them.
struct Arguments {
    var positional: [Value] = []
    var keywords: [(name: String, value: Value)] = []

    init(positional: [Value] = [], keywords: [(name: String, value: Value)] = []) {
        self.positional = positional
        self.keywords = keywords
    }

    var isEmpty: Bool { positional.isEmpty && keywords.isEmpty }

    /// Values for `parameters` in order (nil where not given). Extra positional arguments go
    /// to `rest` when `acceptsRest`, else they are an error, as are unknown keywords.
    func bind(_ function: String, _ parameters: [String], acceptsRest: Bool = false) throws(TemplateError)
        -> BoundArguments
    {
        var values = [Value?](repeating: nil, count: parameters.count)
        var rest: [Value] = []
        for (index, value) in positional.enumerated() {
            if index < parameters.count {
                values[index] = value
            } else if acceptsRest {
                rest.append(value)
            } else {
                throw .runtime(
                    "\(function)() takes at most \(parameters.count) positional argument(s) (\(positional.count) given)")
            }
        }
        for (name, value) in keywords {
            guard let index = parameters.firstIndex(of: name) else {
                throw .runtime("\(function)() got an unexpected keyword argument '\(name)'")
            }
            if values[index] != nil {
                throw .runtime("\(function)() got multiple values for argument '\(name)'")
            }
            values[index] = value
        }
        return BoundArguments(values: values, rest: rest)
    }
}

struct BoundArguments {
    var values: [Value?]
    var rest: [Value]

    subscript(index: Int) -> Value? {
        index < values.count ? values[index] : nil
    }

    /// The argument, with a missing or `none` one read as absent (Python's `=None` defaults).
    func optional(_ index: Int) -> Value? {
        guard let value = self[index], !value.isNone else { return nil }
        return value
    }
}
