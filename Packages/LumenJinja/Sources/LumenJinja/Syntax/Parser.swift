/// Builds the statement tree from tokens, following Jinja's own parser (`jinja2/parser.py`)
/// closely so precedence and odd corners read the same: filters bind tighter than
/// arithmetic, `not` looser than comparisons, `**` is left-associative.
struct Parser {
    /// Deeper nesting than this is refused, so hostile input cannot exhaust the stack.
    static let maxNesting = 96
    /// The tallest expression tree accepted.
    static let maxExpressionDepth = 128

    private let tokens: [Token]
    private var index = 0
    private var nesting = 0
    private var loopDepth = 0
    /// The tag names of open blocks, innermost last, for error messages.
    private var openBlocks: [String] = []
    /// Names read inside each macro body being parsed.
    private var namesRead: [Set<String>] = []

    static func parse(_ source: String) throws(TemplateError) -> Template {
        var parser = Parser(tokens: try Lexer.tokenize(source))
        let body = try parser.parseBody(until: [])
        try NameValidator.check(body)
        return ScopeAnalyzer.annotate(body)
    }

    private init(tokens: [Token]) {
        self.tokens = tokens
    }

    // MARK: - Token stream

    private var current: Token { tokens[index] }

    private func peek(_ offset: Int = 1) -> Token {
        tokens[min(index + offset, tokens.count - 1)]
    }

    private mutating func advance() -> Token {
        let token = tokens[index]
        if index < tokens.count - 1 { index += 1 }
        return token
    }

    private mutating func skipSymbol(_ symbol: String) -> Bool {
        guard current.isSymbol(symbol) else { return false }
        _ = advance()
        return true
    }

    private mutating func skipName(_ name: String) -> Bool {
        guard current.isName(name) else { return false }
        _ = advance()
        return true
    }

    private mutating func expectSymbol(_ symbol: String) throws(TemplateError) {
        guard skipSymbol(symbol) else {
            throw .syntax("expected '\(symbol)', found \(current.described)", at: current.location)
        }
    }

    private mutating func expectName() throws(TemplateError) -> String {
        guard case .name(let name) = current.kind else {
            throw .syntax("expected a name, found \(current.described)", at: current.location)
        }
        _ = advance()
        return name
    }

    private mutating func expectBlockEnd() throws(TemplateError) {
        guard case .blockEnd = current.kind else {
            throw .syntax("expected '%}' to end the tag, found \(current.described)", at: current.location)
        }
        _ = advance()
    }

    private func checked(_ expression: Expression) throws(TemplateError) -> Expression {
        if expression.depth > Self.maxExpressionDepth {
            throw .syntax("the template is nested too deeply", at: expression.location)
        }
        return expression
    }

    private mutating func nest() throws(TemplateError) {
        nesting += 1
        if nesting > Self.maxNesting {
            throw .syntax("the template is nested too deeply", at: current.location)
        }
    }

    // MARK: - Statements

    /// Parses until a block tag whose name is in `endTags` (left current, after `{%`), or the end.
    private mutating func parseBody(until endTags: Set<String>) throws(TemplateError) -> [Statement] {
        var body: [Statement] = []
        while true {
            let token = current
            switch token.kind {
            case .text(let text):
                _ = advance()
                body.append(Statement(kind: .text(text), location: token.location))
            case .variableBegin:
                _ = advance()
                let expression = try parseTuple()
                guard case .variableEnd = current.kind else {
                    throw .syntax("expected '}}' to end the expression, found \(current.described)", at: current.location)
                }
                _ = advance()
                body.append(Statement(kind: .output(expression), location: token.location))
            case .blockBegin:
                _ = advance()
                if case .name(let name) = current.kind, endTags.contains(name) {
                    return body
                }
                body.append(try parseStatement(openedAt: token.location))
                try expectBlockEnd()
            case .endOfInput:
                guard endTags.isEmpty else {
                    let innermost = openBlocks.last ?? "block"
                    let expected = endTags.sorted().map { "'\($0)'" }.joined(separator: " or ")
                    throw .syntax(
                        "unexpected end of template: the '\(innermost)' block needs \(expected)",
                        at: token.location)
                }
                return body
            default:
                throw .syntax("unexpected \(token.described)", at: token.location)
            }
        }
    }

    /// Parses a block's body up to one of `endTags`; consumes the end tag's name when `dropEnd`.
    private mutating func parseBlockBody(until endTags: Set<String>, dropEnd: Bool) throws(TemplateError) -> [Statement] {
        try expectBlockEnd()
        let body = try parseBody(until: endTags)
        if dropEnd { _ = advance() }
        return body
    }

    private mutating func parseStatement(openedAt location: SourceLocation) throws(TemplateError) -> Statement {
        guard case .name(let tag) = current.kind else {
            throw .syntax("expected a tag name after '{%', found \(current.described)", at: current.location)
        }
        try nest()
        defer { nesting -= 1 }
        openBlocks.append(tag)
        defer { openBlocks.removeLast() }
        let kind: StatementKind
        switch tag {
        case "for": kind = try parseFor()
        case "if": kind = try parseIf()
        case "set": kind = try parseSet()
        case "macro": kind = try parseMacro()
        case "call": kind = try parseCallBlock()
        case "filter": kind = try parseFilterBlock()
        case "with": kind = try parseWith()
        case "print":
            _ = advance()
            kind = .output(try parseTuple())
        case "break", "continue":
            _ = advance()
            guard loopDepth > 0 else {
                throw .syntax("'\(tag)' outside loop", at: location)
            }
            kind = tag == "break" ? .breakLoop : .continueLoop
        case "generation":
            _ = advance()
            kind = .block(try parseBlockBody(until: ["endgeneration"], dropEnd: true))
        default:
            throw .syntax(unknownTagMessage(tag), at: current.location)
        }
        return Statement(kind: kind, location: location)
    }

    private func unknownTagMessage(_ tag: String) -> String {
        let closers = ["endfor": "for", "endif": "if", "elif": "if", "else": "if or for", "endmacro": "macro",
                       "endset": "set", "endcall": "call", "endfilter": "filter", "endwith": "with",
                       "endgeneration": "generation", "endraw": "raw"]
        if let opener = closers[tag] {
            if let innermost = openBlocks.dropLast().last {
                return "unexpected '\(tag)'; the innermost open block is '\(innermost)'"
            }
            return "unexpected '\(tag)'; no '\(opener)' block is open"
        }
        return "unknown tag '\(tag)'"
    }

    private mutating func parseFor() throws(TemplateError) -> StatementKind {
        _ = advance()
        let target = try parseAssignTarget(allowNamespace: false, endNames: ["in"])
        guard skipName("in") else {
            throw .syntax("expected 'in' in the for loop, found \(current.described)", at: current.location)
        }
        let iterable = try parseTuple(withConditional: false, endNames: ["recursive"])
        var filter: Expression?
        if skipName("if") {
            filter = try parseExpression()
        }
        if current.isName("recursive") {
            throw .syntax("recursive for loops are not supported", at: current.location)
        }
        loopDepth += 1
        let body = try parseBlockBody(until: ["endfor", "else"], dropEnd: false)
        loopDepth -= 1
        var otherwise: [Statement] = []
        if advance().isName("else") {
            otherwise = try parseBlockBody(until: ["endfor"], dropEnd: true)
        }
        return .forLoop(ForLoop(target: target, iterable: iterable, filter: filter, body: body, otherwise: otherwise))
    }

    private mutating func parseIf() throws(TemplateError) -> StatementKind {
        _ = advance()
        var branches: [ConditionalBranch] = []
        var otherwise: [Statement] = []
        while true {
            let condition = try parseTuple(withConditional: false)
            let body = try parseBlockBody(until: ["elif", "else", "endif"], dropEnd: false)
            branches.append(ConditionalBranch(condition: condition, body: body))
            let end = advance()
            if end.isName("elif") { continue }
            if end.isName("else") {
                otherwise = try parseBlockBody(until: ["endif"], dropEnd: true)
            }
            break
        }
        return .conditional(branches, otherwise: otherwise)
    }

    private mutating func parseSet() throws(TemplateError) -> StatementKind {
        _ = advance()
        let target = try parseAssignTarget(allowNamespace: true, endNames: [])
        if skipSymbol("=") {
            return .assign(target, try parseTuple())
        }
        let filters = try parseFilters(startInline: false)
        let body = try parseBlockBody(until: ["endset"], dropEnd: true)
        return .assignBlock(target, filters: filters, body: body)
    }

    private mutating func parseWith() throws(TemplateError) -> StatementKind {
        _ = advance()
        var assignments: [(AssignTarget, Expression)] = []
        while !isBlockEnd {
            if !assignments.isEmpty { try expectSymbol(",") }
            let target = try parseAssignTarget(allowNamespace: false, endNames: [])
            try expectSymbol("=")
            assignments.append((target, try parseExpression()))
        }
        let body = try parseBlockBody(until: ["endwith"], dropEnd: true)
        return .with(assignments, body: body)
    }

    private mutating func parseMacro() throws(TemplateError) -> StatementKind {
        _ = advance()
        let name = try expectName()
        let parameters = try parseSignature()
        return .macro(try parseMacroBody(name: name, parameters: parameters, endTag: "endmacro"))
    }

    private mutating func parseMacroBody(name: String, parameters: [Parameter], endTag: String) throws(TemplateError)
        -> MacroDefinition
    {
        // break and continue cannot reach a loop outside the macro.
        let outerLoopDepth = loopDepth
        loopDepth = 0
        namesRead.append([])
        let body = try parseBlockBody(until: [endTag], dropEnd: true)
        let names = namesRead.removeLast()
        if !namesRead.isEmpty { namesRead[namesRead.count - 1].formUnion(names) }
        loopDepth = outerLoopDepth
        return MacroDefinition(name: name, parameters: parameters, body: body, names: names)
    }

    private mutating func parseSignature() throws(TemplateError) -> [Parameter] {
        try expectSymbol("(")
        var parameters: [Parameter] = []
        while !current.isSymbol(")") {
            if !parameters.isEmpty { try expectSymbol(",") }
            let location = current.location
            let name = try expectName()
            var defaultValue: Expression?
            if skipSymbol("=") {
                defaultValue = try parseExpression()
            } else if parameters.contains(where: { $0.defaultValue != nil }) {
                throw .syntax("non-default argument follows default argument", at: location)
            }
            parameters.append(Parameter(name: name, defaultValue: defaultValue))
        }
        try expectSymbol(")")
        return parameters
    }

    private mutating func parseCallBlock() throws(TemplateError) -> StatementKind {
        _ = advance()
        let parameters = current.isSymbol("(") ? try parseSignature() : []
        let call = try parseExpression()
        guard case .call = call.kind else {
            throw .syntax("expected a call after 'call'", at: call.location)
        }
        let caller = try parseMacroBody(name: "caller", parameters: parameters, endTag: "endcall")
        return .callBlock(CallBlock(call: call, callerDefinition: caller))
    }

    private mutating func parseFilterBlock() throws(TemplateError) -> StatementKind {
        _ = advance()
        let filters = try parseFilters(startInline: true)
        let body = try parseBlockBody(until: ["endfilter"], dropEnd: true)
        return .filterBlock(filters, body: body)
    }

    private mutating func parseAssignTarget(allowNamespace: Bool, endNames: Set<String>) throws(TemplateError)
        -> AssignTarget
    {
        if allowNamespace, case .name(let namespace) = current.kind, peek().isSymbol(".") {
            _ = advance()
            _ = advance()
            return .namespaceAttribute(namespace, attribute: try expectName())
        }
        var targets: [AssignTarget] = []
        var isTuple = false
        while true {
            if !targets.isEmpty { try expectSymbol(",") }
            if isTupleEnd(endNames) { break }
            targets.append(try parseAssignPrimary())
            if current.isSymbol(",") {
                isTuple = true
            } else {
                break
            }
        }
        guard let first = targets.first else {
            throw .syntax("expected a name to assign to, found \(current.described)", at: current.location)
        }
        return isTuple ? .tuple(targets) : first
    }

    private mutating func parseAssignPrimary() throws(TemplateError) -> AssignTarget {
        if skipSymbol("(") {
            let inner = try parseAssignTarget(allowNamespace: false, endNames: [])
            try expectSymbol(")")
            return inner
        }
        let location = current.location
        let name = try expectName()
        if ["true", "false", "none", "True", "False", "None"].contains(name) {
            throw .syntax("cannot assign to '\(name)'", at: location)
        }
        return .name(name)
    }

    private var isBlockEnd: Bool {
        if case .blockEnd = current.kind { return true }
        return false
    }

    private func isTupleEnd(_ endNames: Set<String>) -> Bool {
        switch current.kind {
        case .variableEnd, .blockEnd: return true
        case .symbol(")"): return true
        case .name(let name): return endNames.contains(name)
        default: return false
        }
    }

    // MARK: - Expressions

    /// Jinja's `parse_tuple`: an expression, or a comma-separated tuple of them.
    private mutating func parseTuple(withConditional: Bool = true, endNames: Set<String> = [],
                                     explicitParentheses: Bool = false) throws(TemplateError) -> Expression
    {
        let location = current.location
        var items: [Expression] = []
        var isTuple = false
        while true {
            if !items.isEmpty { try expectSymbol(",") }
            if isTupleEnd(endNames) { break }
            items.append(withConditional ? try parseExpression() : try parseOr())
            if current.isSymbol(",") {
                isTuple = true
            } else {
                break
            }
        }
        if !isTuple {
            if let first = items.first { return first }
            if !explicitParentheses {
                throw .syntax("expected an expression, found \(current.described)", at: current.location)
            }
        }
        return Expression(kind: .tuple(items), location: location)
    }

    private mutating func parseExpression() throws(TemplateError) -> Expression {
        try nest()
        defer { nesting -= 1 }
        var expression = try parseOr()
        while current.isName("if") {
            let location = advance().location
            let condition = try parseOr()
            var otherwise: Expression?
            if skipName("else") {
                otherwise = try parseExpression()
            }
            expression = try checked(Expression(
                kind: .conditional(condition: condition, then: expression, otherwise: otherwise), location: location))
        }
        return expression
    }

    private mutating func parseOr() throws(TemplateError) -> Expression {
        var left = try parseAnd()
        while current.isName("or") {
            let location = advance().location
            left = try checked(Expression(kind: .or(left, try parseAnd()), location: location))
        }
        return left
    }

    private mutating func parseAnd() throws(TemplateError) -> Expression {
        var left = try parseNot()
        while current.isName("and") {
            let location = advance().location
            left = try checked(Expression(kind: .and(left, try parseNot()), location: location))
        }
        return left
    }

    private mutating func parseNot() throws(TemplateError) -> Expression {
        if current.isName("not") {
            let location = advance().location
            try nest()
            defer { nesting -= 1 }
            return Expression(kind: .not(try parseNot()), location: location)
        }
        return try parseCompare()
    }

    private mutating func parseCompare() throws(TemplateError) -> Expression {
        let location = current.location
        let left = try parseMath1()
        var comparisons: [Comparison] = []
        while true {
            if case .symbol(let symbol) = current.kind, let op = ComparisonOperator(rawValue: symbol),
                op != .contains, op != .notContains
            {
                _ = advance()
                comparisons.append(Comparison(op: op, operand: try parseMath1()))
            } else if skipName("in") {
                comparisons.append(Comparison(op: .contains, operand: try parseMath1()))
            } else if current.isName("not") && peek().isName("in") {
                _ = advance()
                _ = advance()
                comparisons.append(Comparison(op: .notContains, operand: try parseMath1()))
            } else {
                break
            }
        }
        if comparisons.isEmpty { return left }
        return try checked(Expression(kind: .compare(left, comparisons), location: location))
    }

    private mutating func parseMath1() throws(TemplateError) -> Expression {
        var left = try parseConcat()
        while case .symbol(let symbol) = current.kind, symbol == "+" || symbol == "-" {
            let location = advance().location
            let right = try parseConcat()
            left = try checked(Expression(kind: .binary(symbol == "+" ? .add : .subtract, left, right), location: location))
        }
        return left
    }

    private mutating func parseConcat() throws(TemplateError) -> Expression {
        let location = current.location
        var parts = [try parseMath2()]
        while skipSymbol("~") {
            parts.append(try parseMath2())
        }
        return parts.count == 1 ? parts[0] : try checked(Expression(kind: .concat(parts), location: location))
    }

    private mutating func parseMath2() throws(TemplateError) -> Expression {
        var left = try parsePower()
        while case .symbol(let symbol) = current.kind, ["*", "/", "//", "%"].contains(symbol),
            let op = BinaryOperator(rawValue: symbol)
        {
            let location = advance().location
            left = try checked(Expression(kind: .binary(op, left, try parsePower()), location: location))
        }
        return left
    }

    private mutating func parsePower() throws(TemplateError) -> Expression {
        var left = try parseUnary(withFilters: true)
        while current.isSymbol("**") {
            let location = advance().location
            left = try checked(Expression(kind: .binary(.power, left, try parseUnary(withFilters: true)), location: location))
        }
        return left
    }

    private mutating func parseUnary(withFilters: Bool) throws(TemplateError) -> Expression {
        try nest()
        defer { nesting -= 1 }
        let location = current.location
        var expression: Expression
        if skipSymbol("-") {
            expression = Expression(kind: .negate(try parseUnary(withFilters: false)), location: location)
        } else if skipSymbol("+") {
            expression = Expression(kind: .plus(try parseUnary(withFilters: false)), location: location)
        } else {
            expression = try parsePrimary()
        }
        expression = try parsePostfix(expression)
        if withFilters {
            expression = try parseFilterExpression(expression)
        }
        return expression
    }

    private mutating func parsePrimary() throws(TemplateError) -> Expression {
        let token = current
        switch token.kind {
        case .name(let name):
            _ = advance()
            switch name {
            case "true", "True": return Expression(kind: .constant(.bool(true)), location: token.location)
            case "false", "False": return Expression(kind: .constant(.bool(false)), location: token.location)
            case "none", "None": return Expression(kind: .constant(.none), location: token.location)
            default:
                if !namesRead.isEmpty { namesRead[namesRead.count - 1].insert(name) }
                return Expression(kind: .name(name), location: token.location)
            }
        case .string(var text):
            _ = advance()
            // Adjacent string literals join, as in Python.
            while case .string(let more) = current.kind {
                text += more
                _ = advance()
            }
            return Expression(kind: .constant(.string(text)), location: token.location)
        case .integer(let value):
            _ = advance()
            return Expression(kind: .constant(.int(value)), location: token.location)
        case .float(let value):
            _ = advance()
            return Expression(kind: .constant(.double(value)), location: token.location)
        case .symbol("("):
            _ = advance()
            let inner = try parseTuple(explicitParentheses: true)
            try expectSymbol(")")
            return inner
        case .symbol("["):
            _ = advance()
            var items: [Expression] = []
            while !current.isSymbol("]") {
                if !items.isEmpty { try expectSymbol(",") }
                if current.isSymbol("]") { break }
                items.append(try parseExpression())
            }
            try expectSymbol("]")
            return Expression(kind: .list(items), location: token.location)
        case .symbol("{"):
            _ = advance()
            var entries: [DictEntry] = []
            while !current.isSymbol("}") {
                if !entries.isEmpty { try expectSymbol(",") }
                if current.isSymbol("}") { break }
                let key = try parseExpression()
                try expectSymbol(":")
                entries.append(DictEntry(key: key, value: try parseExpression()))
            }
            try expectSymbol("}")
            return Expression(kind: .dict(entries), location: token.location)
        default:
            throw .syntax("unexpected \(token.described)", at: token.location)
        }
    }

    private mutating func parsePostfix(_ base: Expression) throws(TemplateError) -> Expression {
        var expression = base
        while true {
            if current.isSymbol(".") || current.isSymbol("[") {
                expression = try checked(try parseSubscript(expression))
            } else if current.isSymbol("(") {
                expression = try checked(try parseCall(expression))
            } else {
                return expression
            }
        }
    }

    private mutating func parseFilterExpression(_ base: Expression) throws(TemplateError) -> Expression {
        var expression = base
        while true {
            if current.isSymbol("|") {
                for filter in try parseFilters(startInline: false) {
                    expression = try checked(Expression(kind: .filter(expression, filter), location: filter.location))
                }
            } else if current.isName("is") {
                expression = try checked(try parseTest(expression))
            } else if current.isSymbol("(") {
                expression = try checked(try parseCall(expression))
            } else {
                return expression
            }
        }
    }

    private mutating func parseSubscript(_ base: Expression) throws(TemplateError) -> Expression {
        let token = advance()
        if token.isSymbol(".") {
            let attributeToken = advance()
            switch attributeToken.kind {
            case .name(let name):
                return Expression(kind: .attribute(base, name: name), location: attributeToken.location)
            case .integer(let value):
                let index = Expression(kind: .constant(.int(value)), location: attributeToken.location)
                return Expression(kind: .item(base, index: index), location: attributeToken.location)
            default:
                throw .syntax("expected an attribute name after '.', found \(attributeToken.described)",
                              at: attributeToken.location)
            }
        }
        // `[`: an index, a slice, or a tuple of indexes.
        var parts: [Expression] = []
        var slice: (Expression?, Expression?, Expression?)?
        while !current.isSymbol("]") {
            if !parts.isEmpty || slice != nil { try expectSymbol(",") }
            if let parsed = try parseSubscribed() {
                slice = parsed
            } else {
                parts.append(try parseExpression())
            }
        }
        try expectSymbol("]")
        if let slice, parts.isEmpty {
            return Expression(kind: .slice(base, start: slice.0, stop: slice.1, step: slice.2), location: token.location)
        }
        guard slice == nil else {
            throw .syntax("unsupported subscript", at: token.location)
        }
        let index = parts.count == 1 ? parts[0] : Expression(kind: .tuple(parts), location: token.location)
        return Expression(kind: .item(base, index: index), location: token.location)
    }

    /// A slice `a:b:c` inside `[...]`, or nil when the subscript is a plain expression
    /// (the stream is left where it was).
    private mutating func parseSubscribed() throws(TemplateError) -> (Expression?, Expression?, Expression?)? {
        let start = index
        var first: Expression?
        if !current.isSymbol(":") {
            first = try parseExpression()
            guard current.isSymbol(":") else {
                index = start
                return nil
            }
        }
        _ = advance()
        var stop: Expression?
        if !current.isSymbol("]") && !current.isSymbol(",") && !current.isSymbol(":") {
            stop = try parseExpression()
        }
        var step: Expression?
        if skipSymbol(":") {
            if !current.isSymbol("]") && !current.isSymbol(",") {
                step = try parseExpression()
            }
        }
        return (first, stop, step)
    }

    private mutating func parseCall(_ callee: Expression) throws(TemplateError) -> Expression {
        let location = current.location
        let arguments = try parseCallArguments()
        return Expression(kind: .call(callee, arguments: arguments), location: location)
    }

    private mutating func parseCallArguments() throws(TemplateError) -> [Argument] {
        try expectSymbol("(")
        var arguments: [Argument] = []
        while !current.isSymbol(")") {
            if !arguments.isEmpty {
                try expectSymbol(",")
                if current.isSymbol(")") { break }
            }
            if current.isSymbol("*") || current.isSymbol("**") {
                throw .syntax("'*' and '**' arguments are not supported", at: current.location)
            }
            if case .name(let name) = current.kind, peek().isSymbol("=") {
                _ = advance()
                _ = advance()
                arguments.append(Argument(name: name, value: try parseExpression()))
            } else {
                if arguments.contains(where: { $0.name != nil }) {
                    throw .syntax("positional argument follows keyword argument", at: current.location)
                }
                arguments.append(Argument(name: nil, value: try parseExpression()))
            }
        }
        try expectSymbol(")")
        return arguments
    }

    private mutating func parseFilters(startInline: Bool) throws(TemplateError) -> [FilterCall] {
        var filters: [FilterCall] = []
        var inline = startInline
        while current.isSymbol("|") || inline {
            if !inline { _ = advance() }
            inline = false
            let location = current.location
            var name = try expectName()
            while current.isSymbol(".") {
                _ = advance()
                name += "." + (try expectName())
            }
            let arguments = current.isSymbol("(") ? try parseCallArguments() : []
            filters.append(FilterCall(name: name, arguments: arguments, location: location))
        }
        return filters
    }

    private mutating func parseTest(_ subject: Expression) throws(TemplateError) -> Expression {
        let location = advance().location
        let negated = skipName("not")
        let nameLocation = current.location
        var name = try expectName()
        while current.isSymbol(".") {
            _ = advance()
            name += "." + (try expectName())
        }
        var arguments: [Argument] = []
        if current.isSymbol("(") {
            arguments = try parseCallArguments()
        } else if startsBareTestArgument {
            if current.isName("is") {
                throw .syntax("tests cannot be chained with 'is'", at: current.location)
            }
            var argument = try parsePrimary()
            argument = try parsePostfix(argument)
            arguments = [Argument(name: nil, value: argument)]
        }
        let test = Expression(kind: .test(subject, TestCall(name: name, arguments: arguments, location: nameLocation)),
                              location: location)
        return negated ? Expression(kind: .not(test), location: location) : test
    }

    /// Jinja lets a test take one argument without parentheses: `x is divisibleby 3`.
    private var startsBareTestArgument: Bool {
        switch current.kind {
        case .name(let name): return !["else", "or", "and"].contains(name)
        case .string, .integer, .float: return true
        case .symbol(let symbol): return symbol == "(" || symbol == "[" || symbol == "{"
        default: return false
        }
    }
}
