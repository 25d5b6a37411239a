/// Python's `json.dumps`, which transformers' `tojson` filter calls:
/// `json.dumps(x, ensure_ascii=False, indent=indent, separators=separators, sort_keys=sort_keys)`.
/// Keys keep insertion order and there is no HTML escaping (Jinja's own `tojson` has it;
/// transformers replaces that filter).
struct PythonJSON {
    var ensureASCII = false
    /// nil for one line; otherwise the text put before each nested line, per level.
    var indent: String?
    var itemSeparator: String
    var keySeparator: String
    var sortKeys = false
    var limits: RenderLimits

    init(ensureASCII: Bool = false, indent: String? = nil, separators: (String, String)? = nil, sortKeys: Bool = false,
         limits: RenderLimits)
    {
        self.ensureASCII = ensureASCII
        self.indent = indent
        // Python's defaults: (', ', ': '), or (',', ': ') when indenting.
        self.itemSeparator = separators?.0 ?? (indent == nil ? ", " : ",")
        self.keySeparator = separators?.1 ?? ": "
        self.sortKeys = sortKeys
        self.limits = limits
    }

    func encode(_ value: Value) throws(TemplateError) -> String {
        var output = ""
        try write(value, into: &output, level: 0)
        return output
    }

    private func write(_ value: Value, into output: inout String, level: Int) throws(TemplateError) {
        try limits.checkStringSize(output.utf8.count)
        switch value {
        case .none: output += "null"
        case .bool(let flag): output += flag ? "true" : "false"
        case .int(let number): output += String(number)
        case .double(let number):
            if number.isNaN {
                output += "NaN"
            } else if number.isInfinite {
                output += number < 0 ? "-Infinity" : "Infinity"
            } else {
                output += Value.pythonFloatRepr(number)
            }
        case .string(let text): appendString(text, to: &output)
        case .list(let items), .tuple(let items):
            try writeContainer(open: "[", close: "]", count: items.count, into: &output, level: level)
            { index, output throws(TemplateError) in
                try write(items[index], into: &output, level: level + 1)
            }
        case .dict(let dictionary):
            var entries = dictionary.entries
            if sortKeys {
                entries.sort { Value.compareScalars($0.key, $1.key) < 0 }
            }
            try writeContainer(open: "{", close: "}", count: entries.count, into: &output, level: level)
            { index, output throws(TemplateError) in
                appendString(entries[index].key, to: &output)
                output += keySeparator
                try write(entries[index].value, into: &output, level: level + 1)
            }
        case .undefined, .namespace, .callable, .iterator:
            throw .runtime("Object of type \(value.typeName) is not JSON serializable")
        }
    }

    private func writeContainer(
        open: String, close: String, count: Int, into output: inout String, level: Int,
        item: (Int, inout String) throws(TemplateError) -> Void
    ) throws(TemplateError) {
        guard count > 0 else {
            output += open + close
            return
        }
        output += open
        for index in 0..<count {
            if index > 0 { output += itemSeparator }
            if let indent {
                output += "\n" + String(repeating: indent, count: level + 1)
            }
            try item(index, &output)
        }
        if let indent {
            output += "\n" + String(repeating: indent, count: level)
        }
        output += close
    }

    private func appendString(_ text: String, to output: inout String) {
        output += "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": output += "\\\""
            case "\\": output += "\\\\"
            case "\n": output += "\\n"
            case "\r": output += "\\r"
            case "\t": output += "\\t"
            case "\u{08}": output += "\\b"
            case "\u{0C}": output += "\\f"
            default:
                if scalar.value < 0x20 || (ensureASCII && scalar.value > 0x7E) {
                    appendUnicodeEscape(scalar, to: &output)
                } else {
                    output.unicodeScalars.append(scalar)
                }
            }
        }
        output += "\""
    }

    private func appendUnicodeEscape(_ scalar: Unicode.Scalar, to output: inout String) {
        func hex4(_ value: UInt32) -> String {
            let digits = String(value, radix: 16)
            return "\\u" + String(repeating: "0", count: 4 - digits.count) + digits
        }
        if scalar.value > 0xFFFF {
            let offset = scalar.value - 0x10000
            output += hex4(0xD800 + (offset >> 10)) + hex4(0xDC00 + (offset & 0x3FF))
        } else {
            output += hex4(scalar.value)
        }
    }
}
