/// How Python prints values: `str()` for output and `~`, `repr()` inside containers.
/// Templates render `{{ true }}` as "True" and `{{ [1, 'a'] }}` as "[1, 'a']", so the text
/// must match CPython's exactly.
extension Value {
    /// Python's `str(value)`; an undefined value prints as nothing.
    var pythonString: String {
        switch self {
        case .undefined: ""
        case .string(let value): value
        default: pythonRepr
        }
    }

    /// Python's `repr(value)`.
    var pythonRepr: String {
        var visiting: Set<ObjectIdentifier> = []
        return repr(visiting: &visiting)
    }

    /// `visiting` holds the namespaces being printed: one that contains itself prints as
    /// `<Namespace {...}>`, as Python guards a recursive repr.
    private func repr(visiting: inout Set<ObjectIdentifier>) -> String {
        func items(_ values: [Value], _ visiting: inout Set<ObjectIdentifier>) -> [String] {
            var parts: [String] = []
            for value in values { parts.append(value.repr(visiting: &visiting)) }
            return parts
        }
        switch self {
        case .undefined: return "Undefined"
        case .none: return "None"
        case .bool(let value): return value ? "True" : "False"
        case .int(let value): return String(value)
        case .double(let value): return Value.pythonFloatRepr(value)
        case .string(let value): return Value.pythonStringRepr(value)
        case .list(let values): return "[" + items(values, &visiting).joined(separator: ", ") + "]"
        case .tuple(let values):
            let parts = items(values, &visiting)
            return parts.count == 1 ? "(" + parts[0] + ",)" : "(" + parts.joined(separator: ", ") + ")"
        case .dict(let dictionary):
            let values = items(dictionary.values, &visiting)
            return "{" + zip(dictionary.keys, values).map { Value.pythonStringRepr($0) + ": " + $1 }
                .joined(separator: ", ") + "}"
        case .namespace(let namespace):
            guard visiting.insert(ObjectIdentifier(namespace)).inserted else { return "<Namespace {...}>" }
            defer { visiting.remove(ObjectIdentifier(namespace)) }
            return "<Namespace " + Value.dict(namespace.attributes).repr(visiting: &visiting) + ">"
        case .callable(let callable): return "<function \(callable.name)>"
        case .iterator(let iterator):
            switch iterator.kind {
            case .generator(let function): return "<generator object \(function) at 0x7f0000000000>"
            case .reverseIterator(let name): return "<\(name) object at 0x7f0000000000>"
            default:
                return iterator.kind.typeName + "(" + Value.list(iterator.items ?? []).repr(visiting: &visiting) + ")"
            }
        }
    }

    /// `repr(float)`: the shortest digits that read back, fixed notation for exponents in
    /// [-4, 16), scientific otherwise (`1e-05`, `1e+16`).
    static func pythonFloatRepr(_ value: Double) -> String {
        if value.isNaN { return "nan" }
        if value.isInfinite { return value < 0 ? "-inf" : "inf" }
        let (negative, digits, pointPosition) = shortestDigits(value)
        let sign = negative ? "-" : ""
        if digits.isEmpty { return sign + "0.0" }
        // pointPosition: the value is 0.DIGITS × 10^pointPosition.
        if pointPosition > -4 && pointPosition <= 16 {
            if pointPosition <= 0 {
                return sign + "0." + String(repeating: "0", count: -pointPosition) + digits
            }
            if pointPosition >= digits.count {
                return sign + digits + String(repeating: "0", count: pointPosition - digits.count) + ".0"
            }
            let split = digits.index(digits.startIndex, offsetBy: pointPosition)
            return sign + digits[..<split] + "." + digits[split...]
        }
        let exponent = pointPosition - 1
        var mantissa = String(digits.prefix(1))
        if digits.count > 1 { mantissa += "." + digits.dropFirst() }
        let exponentDigits = String(abs(exponent))
        return sign + mantissa + "e" + (exponent < 0 ? "-" : "+")
            + (exponentDigits.count < 2 ? "0" : "") + exponentDigits
    }

    /// The shortest round-trip digits of a finite double (Swift's `description` computes them),
    /// without leading or trailing zeros, and the decimal point's position.
    private static func shortestDigits(_ value: Double) -> (negative: Bool, digits: String, pointPosition: Int) {
        var text = Substring(value.description)
        let negative = text.hasPrefix("-")
        if negative { text = text.dropFirst() }
        var exponent = 0
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            exponent = Int(text[text.index(after: e)...]) ?? 0
            text = text[..<e]
        }
        let integerPart: Substring
        let fractionPart: Substring
        if let dot = text.firstIndex(of: ".") {
            integerPart = text[..<dot]
            fractionPart = text[text.index(after: dot)...]
        } else {
            integerPart = text
            fractionPart = ""
        }
        var digits = Array(integerPart + fractionPart)
        var pointPosition = integerPart.count + exponent
        while let first = digits.first, first == "0" {
            digits.removeFirst()
            pointPosition -= 1
        }
        while let last = digits.last, last == "0" {
            digits.removeLast()
        }
        return (negative, String(digits), pointPosition)
    }

    /// `repr(str)`: single quotes unless the text has a single quote and no double quote.
    static func pythonStringRepr(_ text: String) -> String {
        let quote: Unicode.Scalar = text.contains("'") && !text.contains("\"") ? "\"" : "'"
        var result = String.UnicodeScalarView()
        result.append(quote)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\\": result.append(contentsOf: "\\\\".unicodeScalars)
            case "\n": result.append(contentsOf: "\\n".unicodeScalars)
            case "\r": result.append(contentsOf: "\\r".unicodeScalars)
            case "\t": result.append(contentsOf: "\\t".unicodeScalars)
            case quote:
                result.append("\\")
                result.append(scalar)
            default:
                if scalar.isPythonPrintable {
                    result.append(scalar)
                } else {
                    result.append(contentsOf: pythonEscape(scalar).unicodeScalars)
                }
            }
        }
        result.append(quote)
        return String(result)
    }

    private static func pythonEscape(_ scalar: Unicode.Scalar) -> String {
        let hex = String(scalar.value, radix: 16)
        if scalar.value < 0x100 { return "\\x" + String(repeating: "0", count: 2 - hex.count) + hex }
        if scalar.value < 0x10000 { return "\\u" + String(repeating: "0", count: 4 - hex.count) + hex }
        return "\\U" + String(repeating: "0", count: 8 - hex.count) + hex
    }
}
