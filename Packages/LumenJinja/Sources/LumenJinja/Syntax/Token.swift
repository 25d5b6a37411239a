/// One lexical unit of a template.
struct Token: Sendable {
    enum Kind: Sendable, Equatable {
        /// Literal template text, already whitespace-controlled.
        case text(String)
        case variableBegin
        case variableEnd
        case blockBegin
        case blockEnd
        case name(String)
        case string(String)
        case integer(Int)
        case float(Double)
        /// An operator or punctuation, e.g. `+`, `//`, `(`, `|`.
        case symbol(String)
        case endOfInput
    }

    let kind: Kind
    let location: SourceLocation

    /// How the token reads in an error message.
    var described: String {
        switch kind {
        case .text: "template text"
        case .variableBegin: "'{{'"
        case .variableEnd: "'}}'"
        case .blockBegin: "'{%'"
        case .blockEnd: "'%}'"
        case .name(let name): "'\(name)'"
        case .string: "string literal"
        case .integer(let value): "'\(value)'"
        case .float(let value): "'\(value)'"
        case .symbol(let symbol): "'\(symbol)'"
        case .endOfInput: "end of template"
        }
    }

    func isName(_ name: String) -> Bool {
        if case .name(name) = kind { return true }
        return false
    }

    func isSymbol(_ symbol: String) -> Bool {
        if case .symbol(symbol) = kind { return true }
        return false
    }
}
