/// Python's `str.format`: `{}`, `{0}`, `{name}` and `{{`/`}}`, with the conversions `!s`
/// and `!r`. Format specs (`{:>10}`) are refused rather than silently ignored.
enum BraceFormat {
    static func format(_ template: String, _ arguments: Arguments, limits: RenderLimits) throws(TemplateError)
        -> String
    {
        var scalars = Array(template.unicodeScalars)[...]
        var output = ""
        var automatic = 0
        while let scalar = scalars.popFirst() {
            if scalar == "}" {
                guard scalars.popFirst() == "}" else { throw .runtime("Single '}' encountered in format string") }
                output += "}"
                continue
            }
            guard scalar == "{" else {
                output.unicodeScalars.append(scalar)
                continue
            }
            if scalars.first == "{" {
                scalars.removeFirst()
                output += "{"
                continue
            }
            var field = String.UnicodeScalarView()
            var closed = false
            while let character = scalars.popFirst() {
                if character == "}" {
                    closed = true
                    break
                }
                field.append(character)
            }
            guard closed else { throw .runtime("Single '{' encountered in format string") }
            var name = String(field)
            var conversion: Character?
            if let bang = name.firstIndex(of: "!") {
                conversion = name[name.index(after: bang)...].first
                name = String(name[..<bang])
            }
            if name.contains(":") { throw .runtime("format specs in str.format are not supported") }
            let value: Value
            if name.isEmpty {
                guard automatic < arguments.positional.count else {
                    throw .runtime("Replacement index \(automatic) out of range for positional args tuple")
                }
                value = arguments.positional[automatic]
                automatic += 1
            } else if let index = Int(name) {
                guard index >= 0 && index < arguments.positional.count else {
                    throw .runtime("Replacement index \(index) out of range for positional args tuple")
                }
                value = arguments.positional[index]
            } else {
                guard let found = arguments.keywords.first(where: { $0.name == name }) else {
                    throw .runtime("KeyError: '\(name)'")
                }
                value = found.value
            }
            output += conversion == "r" ? value.pythonRepr : value.pythonString
            try limits.checkStringSize(output.utf8.count)
        }
        return output
    }
}
