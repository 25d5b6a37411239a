/// Methods templates call on values: `str` methods (`strip`, `split`, `startswith`, ...),
/// `dict.items/keys/values/get`, `list.index/count`.
///
/// Methods that change a list or dict (`append`, `pop`, `update`, ...) are refused, as
/// transformers' immutable sandbox refuses them.
enum Methods {
    static let stringMethods: Set<String> = [
        "strip", "lstrip", "rstrip", "split", "rsplit", "splitlines", "startswith", "endswith", "upper", "lower",
        "title", "capitalize", "swapcase", "replace", "find", "rfind", "index", "rindex", "count", "join", "format",
        "isdigit", "isnumeric", "isdecimal", "isalpha", "isalnum", "isspace", "islower", "isupper", "istitle",
        "zfill", "center", "ljust", "rjust", "partition", "rpartition", "removeprefix", "removesuffix",
    ]
    static let dictMethods: Set<String> = ["items", "keys", "values", "get", "copy"]
    static let unsafeDictMethods: Set<String> = ["pop", "popitem", "update", "setdefault", "clear"]
    static let listMethods: Set<String> = ["index", "count", "copy"]
    static let unsafeListMethods: Set<String> = ["append", "extend", "insert", "pop", "remove", "reverse", "sort", "clear"]

    /// The bound method `value.name`, or nil when there is none.
    static func lookup(on value: Value, _ name: String) -> Value? {
        let known: Set<String>
        let unsafe: Set<String>
        switch value {
        case .string:
            known = stringMethods
            unsafe = []
        case .dict:
            known = dictMethods
            unsafe = unsafeDictMethods
        case .list:
            known = listMethods
            unsafe = unsafeListMethods
        case .tuple:
            known = ["index", "count"]
            unsafe = []
        default:
            return nil
        }
        if known.contains(name) { return .callable(.method(receiver: value, name: name)) }
        if unsafe.contains(name) {
            return .undefined(reason: "access to attribute '\(name)' of '\(value.typeName)' object is unsafe.")
        }
        return nil
    }

    static func call(_ receiver: Value, _ name: String, _ arguments: Arguments, evaluator: Evaluator)
        throws(TemplateError) -> Value
    {
        switch receiver {
        case .string(let text): return try callString(text, name, arguments, evaluator: evaluator)
        case .dict(let dictionary): return try callDict(dictionary, name, arguments)
        case .list(let items), .tuple(let items): return try callSequence(receiver, items, name, arguments)
        default: throw .runtime("'\(receiver.typeName)' object has no method '\(name)'")
        }
    }

    private static func string(_ value: Value?, _ function: String, _ parameter: String) throws(TemplateError)
        -> String?
    {
        guard let value, !value.isNone else { return nil }
        guard case .string(let text) = value else {
            throw .runtime("\(function)() argument '\(parameter)' must be str or None, not \(value.typeName)")
        }
        return text
    }

    private static func integer(_ value: Value?, _ function: String, default fallback: Int) throws(TemplateError)
        -> Int
    {
        guard let value, !value.isNone else { return fallback }
        guard let integer = value.integerValue else {
            throw .runtime("\(function)(): '\(value.typeName)' object cannot be interpreted as an integer")
        }
        return integer
    }

    private static func callString(_ text: String, _ name: String, _ arguments: Arguments, evaluator: Evaluator)
        throws(TemplateError) -> Value
    {
        let limits = evaluator.limits
        switch name {
        case "strip", "lstrip", "rstrip":
            let bound = try arguments.bind(name, ["chars"])
            let characters = try string(bound[0], name, "chars")
            return .string(text.pythonStrip(characters, leading: name != "rstrip", trailing: name != "lstrip"))
        case "split", "rsplit":
            let bound = try arguments.bind(name, ["sep", "maxsplit"])
            let separator = try string(bound[0], name, "sep")
            if separator == "" { throw .runtime("empty separator") }
            let maxSplits = try integer(bound[1], name, default: -1)
            let parts = name == "split"
                ? text.pythonSplit(separator, maxSplits: maxSplits)
                : text.pythonRightSplit(separator, maxSplits: maxSplits)
            try evaluator.tick(parts.count)
            return .list(parts.map { .string($0) })
        case "splitlines":
            let bound = try arguments.bind(name, ["keepends"])
            return .list(text.pythonSplitLines(keepEnds: bound[0]?.isTruthy ?? false).map { .string($0) })
        case "startswith", "endswith":
            let bound = try arguments.bind(name, ["prefix", "start", "end"])
            guard let affix = bound[0] else { throw .runtime("\(name)() takes at least 1 argument (0 given)") }
            let candidates: [Value] = affix.sequenceItems ?? [affix]
            let all = Array(text.unicodeScalars)
            let start = try integer(bound[1], name, default: 0)
            let end = try integer(bound[2], name, default: all.count)
            let lower = start < 0 ? max(start + all.count, 0) : start
            guard lower <= all.count else { return .bool(false) }
            let upper = min(end < 0 ? max(end + all.count, 0) : end, all.count)
            let scalars = lower <= upper ? all[lower..<upper] : []
            for candidate in candidates {
                guard case .string(let part) = candidate else {
                    throw .runtime("\(name) first arg must be str or a tuple of str, not \(candidate.typeName)")
                }
                let pattern = Array(part.unicodeScalars)
                let matched = name == "startswith"
                    ? scalars.starts(with: pattern)
                    : scalars.reversed().starts(with: pattern.reversed())
                if matched { return .bool(true) }
            }
            return .bool(false)
        case "upper":
            _ = try arguments.bind(name, [])
            return .string(text.uppercased())
        case "lower":
            _ = try arguments.bind(name, [])
            return .string(text.lowercased())
        case "title":
            _ = try arguments.bind(name, [])
            return .string(text.pythonTitle)
        case "capitalize":
            _ = try arguments.bind(name, [])
            return .string(text.pythonCapitalize)
        case "swapcase":
            _ = try arguments.bind(name, [])
            return .string(text.unicodeScalars.map { scalar in
                let single = String(scalar)
                return scalar.properties.isLowercase ? single.uppercased() : single.lowercased()
            }.joined())
        case "replace":
            let bound = try arguments.bind(name, ["old", "new", "count"])
            guard let old = try string(bound[0], name, "old"), let new = try string(bound[1], name, "new") else {
                throw .runtime("replace() takes at least 2 arguments")
            }
            let count = try integer(bound[2], name, default: -1)
            let occurrences = old.isEmpty ? text.scalarCount + 1 : text.pythonCount(old)
            try limits.checkStringSize(text.utf8.count + occurrences * new.utf8.count)
            return .string(text.pythonReplace(old, new, count: count))
        case "find", "rfind", "index", "rindex":
            let bound = try arguments.bind(name, ["sub", "start"])
            guard let part = try string(bound[0], name, "sub") else { throw .runtime("\(name)() needs a substring") }
            let position = text.pythonFind(part, from: try integer(bound[1], name, default: 0),
                                           reverse: name.hasPrefix("r"))
            if position < 0 && name.hasSuffix("index") { throw .runtime("substring not found") }
            return .int(position)
        case "count":
            let bound = try arguments.bind(name, ["sub"])
            guard let part = try string(bound[0], name, "sub") else { throw .runtime("count() needs a substring") }
            return .int(text.pythonCount(part))
        case "join":
            let bound = try arguments.bind(name, ["iterable"])
            let items = try evaluator.iterate(bound[0] ?? .list([]))
            var parts: [String] = []
            for item in items {
                guard case .string(let part) = item else {
                    throw .runtime("sequence item \(parts.count): expected str instance, \(item.typeName) found")
                }
                parts.append(part)
            }
            let joined = parts.joined(separator: text)
            try limits.checkStringSize(joined.utf8.count)
            return .string(joined)
        case "format":
            return .string(try BraceFormat.format(text, arguments, limits: limits))
        case "isdigit", "isnumeric", "isdecimal":
            return .bool(!text.isEmpty && text.unicodeScalars.allSatisfy { $0.properties.numericType != nil })
        case "isalpha":
            return .bool(!text.isEmpty && text.unicodeScalars.allSatisfy { $0.properties.isAlphabetic })
        case "isalnum":
            return .bool(!text.isEmpty && text.unicodeScalars.allSatisfy {
                $0.properties.isAlphabetic || $0.properties.numericType != nil
            })
        case "isspace":
            return .bool(!text.isEmpty && text.unicodeScalars.allSatisfy(\.isPythonWhitespace))
        case "islower":
            let cased = text.unicodeScalars.filter(\.isCased)
            return .bool(!cased.isEmpty && cased.allSatisfy { !$0.properties.isUppercase })
        case "isupper":
            let cased = text.unicodeScalars.filter(\.isCased)
            return .bool(!cased.isEmpty && cased.allSatisfy { !$0.properties.isLowercase })
        case "istitle":
            return .bool(!text.unicodeScalars.filter(\.isCased).isEmpty && text.pythonTitle == text)
        case "zfill", "center", "ljust", "rjust":
            let bound = try arguments.bind(name, ["width", "fillchar"])
            let width = try integer(bound[0], name, default: 0)
            try limits.checkStringSize(width)
            let fill = try string(bound[1], name, "fillchar") ?? (name == "zfill" ? "0" : " ")
            let padding = max(width - text.scalarCount, 0)
            switch name {
            case "ljust": return .string(text + String(repeating: fill, count: padding))
            case "rjust": return .string(String(repeating: fill, count: padding) + text)
            case "center":
                let left = padding / 2 + (padding & width & 1)
                return .string(String(repeating: fill, count: left) + text
                    + String(repeating: fill, count: padding - left))
            default:
                if let sign = text.unicodeScalars.first, sign == "-" || sign == "+" {
                    return .string(String(sign) + String(repeating: "0", count: padding)
                        + String(scalars: text.unicodeScalars.dropFirst()))
                }
                return .string(String(repeating: "0", count: padding) + text)
            }
        case "partition", "rpartition":
            let bound = try arguments.bind(name, ["sep"])
            guard let separator = try string(bound[0], name, "sep"), !separator.isEmpty else {
                throw .runtime("empty separator")
            }
            let position = text.pythonFind(separator, reverse: name == "rpartition")
            let scalars = Array(text.unicodeScalars)
            guard position >= 0 else {
                return name == "partition"
                    ? .tuple([.string(text), .string(""), .string("")])
                    : .tuple([.string(""), .string(""), .string(text)])
            }
            let after = position + separator.scalarCount
            return .tuple([.string(String(scalars: scalars[..<position])), .string(separator),
                           .string(String(scalars: scalars[after...]))])
        case "removeprefix", "removesuffix":
            let bound = try arguments.bind(name, ["affix"])
            guard let affix = try string(bound[0], name, "affix") else { throw .runtime("\(name)() needs a string") }
            let scalars = Array(text.unicodeScalars)
            let pattern = Array(affix.unicodeScalars)
            if name == "removeprefix", scalars.starts(with: pattern) {
                return .string(String(scalars: scalars.dropFirst(pattern.count)))
            }
            if name == "removesuffix", !pattern.isEmpty, scalars.reversed().starts(with: pattern.reversed()) {
                return .string(String(scalars: scalars.dropLast(pattern.count)))
            }
            return .string(text)
        default:
            throw .runtime("'str' object has no attribute '\(name)'")
        }
    }

    private static func callDict(_ dictionary: ValueDictionary, _ name: String, _ arguments: Arguments)
        throws(TemplateError) -> Value
    {
        switch name {
        case "items":
            _ = try arguments.bind(name, [])
            return .iterator(IteratorValue(.dictItems, items: dictionary.entries.map { .tuple([.string($0.key), $0.value]) }))
        case "keys":
            _ = try arguments.bind(name, [])
            return .iterator(IteratorValue(.dictKeys, items: dictionary.keys.map { .string($0) }))
        case "values":
            _ = try arguments.bind(name, [])
            return .iterator(IteratorValue(.dictValues, items: dictionary.values))
        case "get":
            let bound = try arguments.bind(name, ["key", "default"])
            guard let key = bound[0] else { throw .runtime("get expected at least 1 argument, got 0") }
            if case .string(let text) = key, let value = dictionary[text] { return value }
            return bound[1] ?? .none
        case "copy":
            _ = try arguments.bind(name, [])
            return .dict(dictionary)
        default:
            throw .runtime("'dict' object has no attribute '\(name)'")
        }
    }

    private static func callSequence(_ receiver: Value, _ items: [Value], _ name: String, _ arguments: Arguments)
        throws(TemplateError) -> Value
    {
        switch name {
        case "index":
            let bound = try arguments.bind(name, ["value"])
            guard let needle = bound[0], let position = items.firstIndex(where: { Value.equals($0, needle) }) else {
                throw .runtime("\(bound[0]?.pythonRepr ?? "value") is not in \(receiver.typeName)")
            }
            return .int(position)
        case "count":
            let bound = try arguments.bind(name, ["value"])
            guard let needle = bound[0] else { throw .runtime("count() takes exactly one argument (0 given)") }
            return .int(items.filter { Value.equals($0, needle) }.count)
        case "copy":
            return .list(items)
        default:
            throw .runtime("'\(receiver.typeName)' object has no attribute '\(name)'")
        }
    }
}
