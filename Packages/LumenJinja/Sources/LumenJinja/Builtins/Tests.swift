/// Jinja's tests: `x is defined`, `x is string`, `n is divisibleby 3`, ...
enum Tests {
    static let names: Set<String> = [
        "defined", "undefined", "none", "boolean", "true", "false", "integer", "float", "number", "string",
        "mapping", "iterable", "sequence", "callable", "sameas", "escaped", "in", "eq", "equalto", "==", "ne", "!=",
        "lt", "lessthan", "<", "le", "<=", "gt", "greaterthan", ">", "ge", ">=", "even", "odd", "divisibleby",
        "lower", "upper", "filter", "test",
    ]

    static func apply(_ name: String, to value: Value, _ arguments: Arguments, evaluator: Evaluator)
        throws(TemplateError) -> Bool
    {
        func argument() throws(TemplateError) -> Value {
            let bound = try arguments.bind(name, ["other"])
            guard let other = bound[0] else { throw .runtime("the '\(name)' test needs an argument") }
            return other
        }
        switch name {
        case "defined": return !value.isUndefined
        case "undefined": return value.isUndefined
        case "none": return value.isNone
        case "boolean":
            if case .bool = value { return true }
            return false
        case "true":
            if case .bool(true) = value { return true }
            return false
        case "false":
            if case .bool(false) = value { return true }
            return false
        case "integer":
            if case .int = value { return true }
            return false
        case "float":
            if case .double = value { return true }
            return false
        case "number": return value.isNumber
        case "string": return value.stringValue != nil
        case "mapping":
            if case .dict = value { return true }
            return false
        case "iterable":
            switch value {
            case .undefined, .string, .list, .tuple, .dict, .iterator: return true
            default: return false
            }
        case "sequence":
            switch value {
            case .undefined, .string, .list, .tuple, .dict: return true
            default: return false
            }
        case "callable":
            switch value {
            // Jinja's Undefined defines __call__ (to raise), so Python calls it callable.
            case .callable, .undefined: return true
            default: return false
            }
        case "sameas":
            switch (value, try argument()) {
            case (.none, .none): return true
            case (.bool(let a), .bool(let b)): return a == b
            case (.namespace(let a), .namespace(let b)): return a === b
            default: return false
            }
        case "escaped": return false
        case "in": return try Value.contains(try argument(), value)
        case "eq", "equalto", "==": return Value.equals(value, try argument())
        case "ne", "!=": return !Value.equals(value, try argument())
        case "lt", "lessthan", "<": return try Value.compareOrder(value, try argument(), "<") < 0
        case "le", "<=": return try Value.compareOrder(value, try argument(), "<=") <= 0
        case "gt", "greaterthan", ">": return try Value.compareOrder(value, try argument(), ">") > 0
        case "ge", ">=": return try Value.compareOrder(value, try argument(), ">=") >= 0
        case "even", "odd":
            let remainder = try Value.binary(.modulo, value, .int(2), limits: evaluator.limits)
            return Value.equals(remainder, .int(name == "even" ? 0 : 1))
        case "divisibleby":
            let remainder = try Value.binary(.modulo, value, try argument(), limits: evaluator.limits)
            return Value.equals(remainder, .int(0))
        case "lower":
            let cased = value.pythonString.unicodeScalars.filter(\.isCased)
            return !cased.isEmpty && cased.allSatisfy { !$0.properties.isUppercase }
        case "upper":
            let cased = value.pythonString.unicodeScalars.filter(\.isCased)
            return !cased.isEmpty && cased.allSatisfy { !$0.properties.isLowercase }
        case "filter": return Filters.names.contains(value.pythonString)
        case "test": return names.contains(value.pythonString)
        default:
            throw .runtime("No test named '\(name)' found.")
        }
    }
}
