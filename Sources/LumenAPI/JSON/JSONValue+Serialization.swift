extension JSONValue {
    /// Pretty JSON with two-space indents and keys in canonical order.
    public func json(pretty: Bool = true) -> String {
        var out = ""
        writeJSON(indent: 0, pretty: pretty, into: &out)
        return out
    }

    private func writeJSON(indent: Int, pretty: Bool, into out: inout String) {
        let newline = pretty ? "\n" : ""
        let pad = pretty ? String(repeating: " ", count: indent + 2) : ""
        let closePad = pretty ? String(repeating: " ", count: indent) : ""
        switch self {
        case .null: out += "null"
        case .bool(let flag): out += flag ? "true" : "false"
        case .number(let text): out += text
        case .string(let text): out += Self.jsonString(text)
        case .list(let items):
            guard !items.isEmpty else { out += "[]"; return }
            out += "[" + newline
            for (index, item) in items.enumerated() {
                out += pad
                item.writeJSON(indent: indent + 2, pretty: pretty, into: &out)
                out += (index == items.count - 1 ? "" : ",") + newline
            }
            out += closePad + "]"
        case .map(let entries):
            guard !entries.isEmpty else { out += "{}"; return }
            out += "{" + newline
            for (index, entry) in entries.enumerated() {
                out += pad + Self.jsonString(entry.key) + (pretty ? ": " : ":")
                entry.value.writeJSON(indent: indent + 2, pretty: pretty, into: &out)
                out += (index == entries.count - 1 ? "" : ",") + newline
            }
            out += closePad + "}"
        }
    }

    public static func jsonString(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
                || scalar.value == 0x2028 || scalar.value == 0x2029 || scalar.value == 0xFEFF:
                // Escaped so the text survives YAML and JavaScript readers, which treat these as line breaks.
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
