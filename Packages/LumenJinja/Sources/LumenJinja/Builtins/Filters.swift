import Foundation

/// Jinja's built-in filters that chat templates use, with transformers' `tojson`.
/// Each follows `jinja2/filters.py`: same parameters, same defaults, same quirks
/// (`'3.7'|int` is 3, `sort` ignores case unless told otherwise).
enum Filters {
    static let names: Set<String> = [
        "abs", "attr", "capitalize", "center", "count", "d", "default", "dictsort", "e", "escape", "first", "float",
        "format", "indent", "int", "items", "join", "last", "length", "list", "lower", "map", "max", "min", "reject",
        "rejectattr", "replace", "reverse", "round", "safe", "select", "selectattr", "sort", "string", "sum",
        "title", "tojson", "trim", "unique", "upper", "wordcount",
    ]

    static func apply(_ name: String, to value: Value, _ arguments: Arguments, evaluator: Evaluator)
        throws(TemplateError) -> Value
    {
        let limits = evaluator.limits
        switch name {
        case "abs":
            _ = try arguments.bind(name, [])
            try value.requireDefined()
            switch value {
            case .int(let number):
                guard number != .min else { throw .runtime("integer overflow in abs") }
                return .int(abs(number))
            case .bool(let flag): return .int(flag ? 1 : 0)
            case .double(let number): return .double(abs(number))
            default: throw .runtime("bad operand type for abs(): '\(value.typeName)'")
            }
        case "attr":
            let bound = try arguments.bind(name, ["name"])
            guard case .string(let attribute) = bound[0] else { throw .runtime("attr() needs an attribute name") }
            // Python's getattr only: unlike `.name`, no fallback to the item of that name.
            switch value {
            case .undefined:
                try value.requireDefined()
                return value
            case .namespace(let namespace):
                return namespace.attributes[attribute] ?? .undefined(reason: "no attribute '\(attribute)'")
            default:
                return Methods.lookup(on: value, attribute)
                    ?? .undefined(reason: "'\(value.typeName) object' has no attribute '\(attribute)'")
            }
        case "capitalize":
            _ = try arguments.bind(name, [])
            return .string(value.pythonString.pythonCapitalize)
        case "center":
            let bound = try arguments.bind(name, ["width"])
            return try Methods.call(.string(value.pythonString), "center", Arguments(positional: [bound[0] ?? .int(80)]),
                                    evaluator: evaluator)
        case "count", "length":
            _ = try arguments.bind(name, [])
            return .int(try length(of: value))
        case "d", "default":
            let bound = try arguments.bind(name, ["default_value", "boolean"])
            let useDefault = value.isUndefined || ((bound[1]?.isTruthy ?? false) && !value.isTruthy)
            return useDefault ? bound[0] ?? .string("") : value
        case "dictsort":
            return try dictsort(value, arguments)
        case "e", "escape":
            _ = try arguments.bind(name, [])
            return .string(htmlEscape(value.pythonString))
        case "first", "last":
            _ = try arguments.bind(name, [])
            if name == "last", case .iterator(let iterator) = value, !iterator.kind.isView {
                throw .runtime("'\(value.typeName)' object is not reversible")
            }
            let items = try evaluator.iterate(value)
            let item = name == "first" ? items.first : items.last
            return item ?? .undefined(reason: "No \(name) item, sequence was empty.")
        case "float":
            let bound = try arguments.bind(name, ["default"])
            try value.requireDefined()
            return toFloat(value) ?? bound[0] ?? .double(0)
        case "format":
            guard arguments.positional.isEmpty || arguments.keywords.isEmpty else {
                throw .runtime("can't handle positional and keyword arguments at the same time")
            }
            let operand: Value = arguments.keywords.isEmpty
                ? .tuple(arguments.positional) : .dict(ValueDictionary(arguments.keywords.map { ($0.name, $0.value) }))
            return .string(try PrintfFormat.format(value.pythonString, operand, limits: limits))
        case "indent":
            return try indent(value, arguments, limits: limits)
        case "int":
            let bound = try arguments.bind(name, ["default", "base"])
            try value.requireDefined()
            let base = bound[1]?.integerValue ?? 10
            return try toInt(value, base: base) ?? bound[0] ?? .int(0)
        case "items":
            _ = try arguments.bind(name, [])
            return .iterator(IteratorValue(.generator("do_items")) { () throws(TemplateError) in
                switch value {
                case .undefined: return []
                case .dict(let dictionary): return dictionary.entries.map { .tuple([.string($0.key), $0.value]) }
                default: throw .runtime("Can only get item pairs from a mapping.")
                }
            })
        case "join":
            let bound = try arguments.bind(name, ["d", "attribute"])
            var items = try evaluator.iterate(value)
            if let attribute = bound.optional(1) {
                items = try items.map { item throws(TemplateError) in try attributePath(item, attribute, evaluator) }
            }
            try evaluator.tick(items.count)
            let joined = items.map(\.pythonString).joined(separator: bound[0]?.pythonString ?? "")
            try limits.checkStringSize(joined.utf8.count)
            return .string(joined)
        case "list":
            _ = try arguments.bind(name, [])
            return .list(try evaluator.iterate(value))
        case "lower":
            _ = try arguments.bind(name, [])
            return .string(value.pythonString.lowercased())
        case "upper":
            _ = try arguments.bind(name, [])
            return .string(value.pythonString.uppercased())
        case "title":
            _ = try arguments.bind(name, [])
            return .string(jinjaTitle(value.pythonString))
        case "map":
            return .iterator(IteratorValue(.generator("sync_do_map")) { () throws(TemplateError) in
                try map(value, arguments, evaluator: evaluator)
            })
        case "max", "min":
            let bound = try arguments.bind(name, ["case_sensitive", "attribute"])
            let items = try evaluator.iterate(value)
            let keyed = try keyed(items, attribute: bound.optional(1), ignoreCase: !(bound[0]?.isTruthy ?? false),
                                  evaluator: evaluator)
            guard var best = keyed.first else { return .undefined(reason: "No aggregated item, sequence was empty.") }
            for candidate in keyed.dropFirst() {
                let order = try Value.compareOrder(candidate.key, best.key, name == "max" ? ">" : "<")
                if name == "max" ? order > 0 : order < 0 { best = candidate }
            }
            return best.item
        case "select", "reject", "selectattr", "rejectattr":
            return .iterator(IteratorValue(.generator("select_or_reject")) { () throws(TemplateError) in
                try select(name, value, arguments, evaluator: evaluator)
            })
        case "replace":
            let bound = try arguments.bind(name, ["old", "new", "count"])
            guard let old = bound[0], let new = bound[1] else { throw .runtime("replace() needs old and new strings") }
            let count = bound.optional(2)?.integerValue ?? -1
            return try Methods.call(.string(value.pythonString), "replace",
                                    Arguments(positional: [.string(old.pythonString), .string(new.pythonString), .int(count)]),
                                    evaluator: evaluator)
        case "reverse":
            _ = try arguments.bind(name, [])
            switch value {
            case .string(let text): return .string(String(scalars: text.unicodeScalars.reversed()))
            case .list(let items): return .iterator(IteratorValue(.reverseIterator("list_reverseiterator"), items: items.reversed()))
            case .iterator(let iterator) where !iterator.kind.isView:
                // Python cannot reverse a generator; Jinja falls back to a reversed list.
                return .list(try iterator.consume().reversed())
            default: return .iterator(IteratorValue(.reverseIterator("reversed"), items: try evaluator.iterate(value).reversed()))
            }
        case "round":
            return try round(value, arguments)
        case "safe", "string":
            _ = try arguments.bind(name, [])
            if name == "safe", case .string = value { return value }
            return .string(value.pythonString)
        case "sort":
            let bound = try arguments.bind(name, ["reverse", "case_sensitive", "attribute"])
            let reverse = bound[0]?.isTruthy ?? false
            let items = try evaluator.iterate(value)
            try evaluator.tick(items.count)
            let keyed = try keyed(items, attribute: bound.optional(2), ignoreCase: !(bound[1]?.isTruthy ?? false),
                                  evaluator: evaluator)
            let sorted = try keyed.stableSorted { a, b throws(TemplateError) in
                let order = try Value.compareOrder(a.key, b.key, "<")
                return reverse ? order > 0 : order < 0
            }
            return .list(sorted.map(\.item))
        case "sum":
            let bound = try arguments.bind(name, ["attribute", "start"])
            var total = bound[1] ?? .int(0)
            for item in try evaluator.iterate(value) {
                try evaluator.tick()
                let term = try bound.optional(0).map { attribute throws(TemplateError) in
                    try attributePath(item, attribute, evaluator)
                } ?? item
                total = try Value.binary(.add, total, term, limits: limits)
            }
            return total
        case "tojson":
            let bound = try arguments.bind(name, ["ensure_ascii", "indent", "separators", "sort_keys"])
            var indent: String?
            if let value = bound.optional(1) {
                if case .string(let text) = value {
                    indent = text
                } else if let width = value.integerValue {
                    try limits.checkStringSize(width)
                    indent = String(repeating: " ", count: max(width, 0))
                } else {
                    throw .runtime("tojson indent must be an integer or a string")
                }
            }
            var separators: (String, String)?
            if let value = bound.optional(2) {
                guard let pair = value.sequenceItems, pair.count == 2, case .string(let item) = pair[0],
                    case .string(let key) = pair[1]
                else { throw .runtime("tojson separators must be a pair of strings") }
                separators = (item, key)
            }
            let encoder = PythonJSON(ensureASCII: bound[0]?.isTruthy ?? false, indent: indent, separators: separators,
                                     sortKeys: bound[3]?.isTruthy ?? false, limits: limits)
            return .string(try encoder.encode(value))
        case "trim":
            let bound = try arguments.bind(name, ["chars"])
            return .string(value.pythonString.pythonStrip(bound.optional(0)?.pythonString))
        case "unique":
            let bound = try arguments.bind(name, ["case_sensitive", "attribute"])
            return .iterator(IteratorValue(.generator("sync_do_unique")) { () throws(TemplateError) in
                let items = try evaluator.iterate(value)
                try evaluator.tick(items.count)
                let keyed = try keyed(items, attribute: bound.optional(1), ignoreCase: !(bound[0]?.isTruthy ?? false),
                                      evaluator: evaluator)
                var seen = Set<String>()
                var result: [Value] = []
                for entry in keyed where seen.insert(try hashKey(entry.key)).inserted {
                    result.append(entry.item)
                }
                return result
            })
        case "wordcount":
            _ = try arguments.bind(name, [])
            // Runs of word characters, as Jinja's `\w+`.
            var count = 0
            var inWord = false
            for scalar in value.pythonString.unicodeScalars {
                let isWord = scalar == "_" || scalar.properties.isAlphabetic || scalar.properties.numericType != nil
                if isWord && !inWord { count += 1 }
                inWord = isWord
            }
            return .int(count)
        default:
            throw .runtime("No filter named '\(name)'.")
        }
    }

    // MARK: - Helpers

    static func length(of value: Value) throws(TemplateError) -> Int {
        switch value {
        case .undefined: return 0
        case .string(let text): return text.scalarCount
        case .list(let items), .tuple(let items): return items.count
        case .dict(let dictionary): return dictionary.count
        case .iterator(let iterator) where iterator.kind.isView: return iterator.items?.count ?? 0
        default: throw .runtime("object of type '\(value.typeName)' has no len()")
        }
    }

    /// Jinja's `make_attrgetter`: "a.b.0" walks items then attributes, digits as indexes.
    static func attributePath(_ item: Value, _ path: Value, _ evaluator: Evaluator) throws(TemplateError) -> Value {
        guard case .string(let text) = path else { return try evaluator.item(of: item, path) }
        var current = item
        for part in text.split(separator: ".", omittingEmptySubsequences: false) {
            let key: Value = part.allSatisfy(\.isNumber) && !part.isEmpty ? .int(Int(part) ?? 0) : .string(String(part))
            current = try evaluator.item(of: current, key)
        }
        return current
    }

    private static func keyed(_ items: [Value], attribute: Value?, ignoreCase: Bool, evaluator: Evaluator)
        throws(TemplateError) -> [(item: Value, key: Value)]
    {
        var result: [(item: Value, key: Value)] = []
        for item in items {
            var key = item
            if let attribute { key = try attributePath(item, attribute, evaluator) }
            if ignoreCase, case .string(let text) = key { key = .string(text.lowercased()) }
            result.append((item, key))
        }
        return result
    }

    /// A key that is equal for values Python's `set` treats as equal (1, 1.0 and True).
    private static func hashKey(_ value: Value) throws(TemplateError) -> String {
        switch value {
        case .none: return "none"
        case .undefined: return "undefined"
        case .string(let text): return "s" + text
        case .bool, .int, .double:
            if let integer = value.integerValue { return "n\(integer)" }
            if case .double(let number) = value {
                if number == number.rounded(), abs(number) < 9e18 { return "n\(Int(number))" }
                return "f\(number)"
            }
            return "?"
        case .tuple(let items):
            var parts: [String] = []
            for item in items { parts.append(try hashKey(item)) }
            return "t(" + parts.map { "\($0.utf8.count):\($0)" }.joined() + ")"
        default:
            throw .runtime("unhashable type: '\(value.typeName)'")
        }
    }

    private static func htmlEscape(_ text: String) -> String {
        var result = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&#34;"
            case "'": result += "&#39;"
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    /// Jinja's `title` filter (not `str.title`): words start after `-`, whitespace or an
    /// opening bracket.
    private static func jinjaTitle(_ text: String) -> String {
        var result = ""
        var atWordStart = true
        for scalar in text.unicodeScalars {
            let isSeparator = scalar == "-" || scalar.isPythonWhitespace || "({[<".unicodeScalars.contains(scalar)
            if isSeparator {
                result.unicodeScalars.append(scalar)
                atWordStart = true
            } else {
                result += atWordStart ? String(scalar).uppercased() : String(scalar).lowercased()
                atWordStart = false
            }
        }
        return result
    }

    /// Python's `int(text, base)`: optional sign, surrounding whitespace, underscores between digits.
    private static func parseInteger(_ text: String, base: Int) -> Int? {
        var trimmed = Substring(text.pythonStrip(nil))
        var negative = false
        if let sign = trimmed.first, sign == "-" || sign == "+" {
            negative = sign == "-"
            trimmed = trimmed.dropFirst()
        }
        // A radix prefix is allowed when it matches the base; base 0 reads it from the prefix.
        var radix = base
        let prefixes: [(String, Int)] = [("0x", 16), ("0o", 8), ("0b", 2)]
        for (prefix, prefixRadix) in prefixes where trimmed.lowercased().hasPrefix(prefix) && (base == 0 || base == prefixRadix) {
            radix = prefixRadix
            trimmed = trimmed.dropFirst(2)
            if trimmed.hasPrefix("_") { trimmed = trimmed.dropFirst() }
        }
        if radix == 0 { radix = 10 }
        guard (2...36).contains(radix), !trimmed.isEmpty, !trimmed.hasPrefix("_"), !trimmed.hasSuffix("_"),
            !trimmed.contains("__")
        else {
            return nil
        }
        guard let magnitude = Int(trimmed.replacingOccurrences(of: "_", with: ""), radix: radix) else { return nil }
        return negative ? -magnitude : magnitude
    }

    private static func toInt(_ value: Value, base: Int) throws(TemplateError) -> Value? {
        switch value {
        case .int, .bool: return .int(value.integerValue ?? 0)
        case .double(let number):
            return try truncated(number)
        case .string(let text):
            if let integer = parseInteger(text, base: base) { return .int(integer) }
            if let number = toFloat(value)?.numberValue { return try truncated(number) }
            return nil
        default:
            return nil
        }
    }

    private static func truncated(_ number: Double) throws(TemplateError) -> Value {
        guard number.isFinite else {
            throw .runtime(number.isNaN ? "cannot convert float NaN to integer" : "cannot convert float infinity to integer")
        }
        guard abs(number) < 9.2e18 else { throw .runtime("integer overflow converting \(number) to int") }
        return .int(Int(number))
    }

    private static func toFloat(_ value: Value) -> Value? {
        switch value {
        case .int, .bool, .double: return value.numberValue.map { .double($0) }
        case .string(let text):
            let trimmed = text.pythonStrip(nil).lowercased()
            switch trimmed {
            case "inf", "+inf", "infinity", "+infinity": return .double(.infinity)
            case "-inf", "-infinity": return .double(-.infinity)
            case "nan", "+nan", "-nan": return .double(.nan)
            default: break
            }
            guard !trimmed.isEmpty, !trimmed.contains("__"), !trimmed.hasPrefix("_"), !trimmed.hasSuffix("_"),
                trimmed.allSatisfy({ $0.isNumber || "+-.e_".contains($0) }),
                let number = Double(trimmed.replacingOccurrences(of: "_", with: ""))
            else { return nil }
            return .double(number)
        default:
            return nil
        }
    }

    private static func round(_ value: Value, _ arguments: Arguments) throws(TemplateError) -> Value {
        let bound = try arguments.bind("round", ["precision", "method"])
        let precision = bound[0]?.integerValue ?? 0
        let method = bound[1]?.pythonString ?? "common"
        guard ["common", "ceil", "floor"].contains(method) else {
            throw .runtime("method must be common, ceil or floor")
        }
        try value.requireDefined()
        guard let number = value.numberValue else {
            throw .runtime("type \(value.typeName) doesn't define __round__ method")
        }
        let scale = pow(10.0, Double(precision))
        if method != "common" {
            let scaled = number * scale
            return .double((method == "ceil" ? scaled.rounded(.up) : scaled.rounded(.down)) / scale)
        }
        if let integer = value.integerValue {
            guard precision < 0 else { return .int(integer) }
            let rounded = (Double(integer) / pow(10.0, Double(-precision))).rounded(.toNearestOrEven)
            return try truncated(rounded * pow(10.0, Double(-precision)))
        }
        guard number.isFinite else { return .double(number) }
        if (0...300).contains(precision) {
            // Python rounds the exact binary value half to even (round(2.675, 2) is 2.67);
            // printf's correctly rounded "%.Nf" does the same.
            return .double(Double(String(format: "%.\(precision)f", number)) ?? number)
        }
        let rounded = (number * scale).rounded(.toNearestOrEven) / scale
        return .double(rounded.isFinite ? rounded : number)
    }

    private static func indent(_ value: Value, _ arguments: Arguments, limits: RenderLimits) throws(TemplateError)
        -> Value
    {
        let bound = try arguments.bind("indent", ["width", "first", "blank"])
        let indentation: String
        if case .string(let text) = bound[0] {
            indentation = text
        } else {
            let width = bound[0]?.integerValue ?? 4
            try limits.checkStringSize(width)
            indentation = String(repeating: " ", count: max(width, 0))
        }
        let first = bound[1]?.isTruthy ?? false
        let blank = bound[2]?.isTruthy ?? false
        try value.requireDefined()
        guard case .string = value else {
            throw .runtime("unsupported operand type(s) for +=: '\(value.typeName)' and 'str'")
        }
        // Jinja appends a newline before splitting, so a trailing newline keeps its line.
        let lines = (value.pythonString + "\n").pythonSplitLines()
        try limits.checkStringSize(value.pythonString.utf8.count + lines.count * indentation.utf8.count)
        var result: String
        if blank {
            result = lines.joined(separator: "\n" + indentation)
        } else {
            result = lines.first ?? ""
            let rest = lines.dropFirst()
            if !rest.isEmpty {
                result += "\n" + rest.map { $0.isEmpty ? $0 : indentation + $0 }.joined(separator: "\n")
            }
        }
        if first { result = indentation + result }
        return .string(result)
    }

    private static func dictsort(_ value: Value, _ arguments: Arguments) throws(TemplateError) -> Value {
        let bound = try arguments.bind("dictsort", ["case_sensitive", "by", "reverse"])
        guard case .dict(let dictionary) = value else { throw .runtime("You can only sort by either a mapping") }
        let caseSensitive = bound[0]?.isTruthy ?? false
        let byValue: Bool
        switch bound[1]?.pythonString ?? "key" {
        case "key": byValue = false
        case "value": byValue = true
        default: throw .runtime("You can only sort by either \"key\" or \"value\"")
        }
        let reverse = bound[2]?.isTruthy ?? false
        let sorted = try dictionary.entries.stableSorted { a, b throws(TemplateError) in
            var left = byValue ? a.value : .string(a.key)
            var right = byValue ? b.value : .string(b.key)
            if !caseSensitive {
                if case .string(let text) = left { left = .string(text.lowercased()) }
                if case .string(let text) = right { right = .string(text.lowercased()) }
            }
            let order = try Value.compareOrder(left, right, "<")
            return reverse ? order > 0 : order < 0
        }
        return .list(sorted.map { .tuple([.string($0.key), $0.value]) })
    }

    private static func map(_ value: Value, _ arguments: Arguments, evaluator: Evaluator) throws(TemplateError)
        -> [Value]
    {
        // Jinja's map and select start with `if value:`, so a falsy value maps to nothing.
        guard value.isTruthy else { return [] }
        let items = try evaluator.iterate(value)
        try evaluator.tick(items.count)
        if arguments.positional.isEmpty, let attribute = arguments.keywords.first(where: { $0.name == "attribute" }) {
            let defaultValue = arguments.keywords.first { $0.name == "default" }?.value
            if let unexpected = arguments.keywords.first(where: { $0.name != "attribute" && $0.name != "default" }) {
                throw .runtime("Unexpected keyword argument '\(unexpected.name)'")
            }
            return try items.map { item throws(TemplateError) in
                let found = try attributePath(item, attribute.value, evaluator)
                if found.isUndefined, let defaultValue { return defaultValue }
                return found
            }
        }
        guard let filterName = arguments.positional.first?.stringValue else {
            throw .runtime("map requires a filter argument")
        }
        guard names.contains(filterName) else { throw .runtime("No filter named '\(filterName)'.") }
        let rest = Arguments(positional: Array(arguments.positional.dropFirst()), keywords: arguments.keywords)
        return try items.map { item throws(TemplateError) in
            try apply(filterName, to: item, rest, evaluator: evaluator)
        }
    }

    private static func select(_ name: String, _ value: Value, _ arguments: Arguments, evaluator: Evaluator)
        throws(TemplateError) -> [Value]
    {
        guard value.isTruthy else { return [] }
        let byAttribute = name.hasSuffix("attr")
        let keep = name.hasPrefix("select")
        var positional = arguments.positional[...]
        var attribute: Value?
        if byAttribute {
            guard let first = positional.popFirst() else { throw .runtime("Missing parameter for attribute name") }
            attribute = first
        }
        let testName = positional.popFirst()?.pythonString
        if let testName, !Tests.names.contains(testName) { throw .runtime("No test named '\(testName)' found.") }
        let testArguments = Arguments(positional: Array(positional), keywords: arguments.keywords)
        let items = try evaluator.iterate(value)
        try evaluator.tick(items.count)
        var result: [Value] = []
        for item in items {
            let subject = try attribute.map { attribute throws(TemplateError) in
                try attributePath(item, attribute, evaluator)
            } ?? item
            let passed = try testName.map { test throws(TemplateError) in
                try Tests.apply(test, to: subject, testArguments, evaluator: evaluator)
            } ?? subject.isTruthy
            if passed == keep { result.append(item) }
        }
        return result
    }
}
