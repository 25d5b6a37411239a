public import LumenAPI

extension ManifestValue {
    /// Block-style YAML with two-space indents; strings are quoted only where YAML would misread them.
    public func yaml() -> String {
        var out = ""
        switch self {
        case .map(let entries) where !entries.isEmpty:
            Self.writeYAMLEntries(entries, indent: 0, into: &out)
        case .list(let items) where !items.isEmpty:
            Self.writeYAMLItems(items, indent: 0, into: &out)
        default:
            out = scalarYAML + "\n"
        }
        return out
    }

    private var isCollection: Bool {
        switch self {
        case .map(let entries): !entries.isEmpty
        case .list(let items): !items.isEmpty
        default: false
        }
    }

    private var scalarYAML: String {
        switch self {
        case .null: "null"
        case .bool(let flag): flag ? "true" : "false"
        case .number(let text): text
        case .string(let text): Self.yamlString(text)
        case .list: "[]"
        case .map: "{}"
        }
    }

    private static func writeYAMLEntries(_ entries: [Entry], indent: Int, into out: inout String) {
        let pad = String(repeating: " ", count: indent)
        for entry in entries {
            out += pad + yamlString(entry.key) + ":"
            writeYAMLChild(entry.value, indent: indent, into: &out)
        }
    }

    private static func writeYAMLItems(_ items: [ManifestValue], indent: Int, into out: inout String) {
        let pad = String(repeating: " ", count: indent)
        for item in items {
            switch item {
            case .map(let entries) where !entries.isEmpty:
                // The first key shares the dash's line; the rest align under it.
                var nested = ""
                writeYAMLEntries(entries, indent: indent + 2, into: &nested)
                out += pad + "- " + nested.dropFirst(indent + 2)
            case .list(let inner) where !inner.isEmpty:
                out += pad + "-\n"
                writeYAMLItems(inner, indent: indent + 2, into: &out)
            default:
                out += pad + "- " + item.scalarYAML + "\n"
            }
        }
    }

    private static func writeYAMLChild(_ value: ManifestValue, indent: Int, into out: inout String) {
        switch value {
        case .map(let entries) where !entries.isEmpty:
            out += "\n"
            writeYAMLEntries(entries, indent: indent + 2, into: &out)
        case .list(let items) where !items.isEmpty:
            out += "\n"
            writeYAMLItems(items, indent: indent, into: &out)
        default:
            out += " " + value.scalarYAML + "\n"
        }
    }

    private static let reservedWords: Set<String> = [
        "", "~", "null", "true", "false", "yes", "no", "on", "off", "y", "n",
    ]

    static func yamlString(_ text: String) -> String {
        if needsQuotes(text) { return jsonString(text) }
        return text
    }

    private static func needsQuotes(_ text: String) -> Bool {
        if reservedWords.contains(text.lowercased()) { return true }
        // Fast path for names and identifiers, the common case: a letter, then letters, digits, `-._/`.
        if let head = text.utf8.first, isASCIILetter(head),
           text.utf8.allSatisfy({ isASCIILetter($0) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || "-._/".utf8.contains($0) }) {
            return false
        }
        guard let first = text.unicodeScalars.first, let last = text.unicodeScalars.last else { return true }
        if first == " " || last == " " { return true }
        if "-?:,[]{}#&*!|>'\"%@`".unicodeScalars.contains(first) {
            // A leading dash or colon is fine when a non-space follows (e.g. `-v`), except a lone one.
            let allowed: Bool = (first == "-" || first == "?" || first == ":") && text.count > 1
                && !text.dropFirst().hasPrefix(" ")
            if !allowed { return true }
        }
        if text.contains(": ") || text.contains(" #") || text.hasSuffix(":") { return true }
        if text.unicodeScalars.contains(where: { $0.isControlOrLineBreak || $0.value == 0xFEFF }) { return true }
        if Double(text) != nil || looksLikeNumber(text) { return true }
        return false
    }

    private static func isASCIILetter(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte | 0x20)
    }

    private static func looksLikeNumber(_ text: String) -> Bool {
        // YAML 1.1 also reads 0x1F, 0o17, 1_000, .inf and sexagesimal 1:30 as numbers.
        let lower = text.lowercased()
        if lower.hasPrefix("0x") || lower.hasPrefix("0o") || lower.hasPrefix(".inf") || lower.hasPrefix("-.inf")
            || lower == ".nan" { return true }
        let digitsAndSeparators = text.allSatisfy { $0.isNumber || $0 == "_" || $0 == ":" || $0 == "." || $0 == "-" || $0 == "+" }
        return digitsAndSeparators && text.contains(where: \.isNumber)
    }
}
