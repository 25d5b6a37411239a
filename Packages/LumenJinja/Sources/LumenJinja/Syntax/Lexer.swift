/// Splits template source into tokens the way Jinja's lexer does with the settings
/// transformers uses: `trim_blocks=True`, `lstrip_blocks=True`, `keep_trailing_newline=False`.
///
/// Whitespace control is applied here, so the parser sees text that is already trimmed.
struct Lexer {
    private enum TagKind {
        case variable, block, comment
    }

    private let scalars: [Unicode.Scalar]
    private let lineStarts: [Int]
    private var position = 0
    private var tokens: [Token] = []
    /// Jinja's `line_starting`: the last thing consumed ended with a newline, so text before
    /// the next block tag counts as the start of a line for `lstrip_blocks`.
    private var lineStarting = true
    /// Open brackets inside a tag; a tag only ends when they are balanced, as in Jinja.
    private var brackets: [Unicode.Scalar] = []

    static func tokenize(_ source: String) throws(TemplateError) -> [Token] {
        var lexer = Lexer(source: source)
        try lexer.run()
        return lexer.tokens
    }

    private init(source: String) {
        // Jinja turns \r\n and \r into \n everywhere and drops one trailing newline.
        var normalized: [Unicode.Scalar] = []
        normalized.reserveCapacity(source.unicodeScalars.count)
        var previousWasCR = false
        for scalar in source.unicodeScalars {
            if scalar == "\r" {
                normalized.append("\n")
                previousWasCR = true
                continue
            }
            if scalar == "\n" && previousWasCR {
                previousWasCR = false
                continue
            }
            previousWasCR = false
            normalized.append(scalar)
        }
        if normalized.last == "\n" {
            normalized.removeLast()
        }
        scalars = normalized
        var starts = [0]
        for (index, scalar) in normalized.enumerated() where scalar == "\n" {
            starts.append(index + 1)
        }
        lineStarts = starts
    }

    // MARK: - Template text and tags

    private mutating func run() throws(TemplateError) {
        while position < scalars.count {
            guard let (tagStart, kind) = nextTag(from: position) else {
                emitText(position..<scalars.count)
                position = scalars.count
                break
            }
            let signIndex = tagStart + 2
            let sign: Unicode.Scalar? =
                signIndex < scalars.count && (scalars[signIndex] == "-" || scalars[signIndex] == "+")
                ? scalars[signIndex] : nil
            let rawBodyStart = kind == .block ? rawBlockBodyStart(afterSign: signIndex + (sign == nil ? 0 : 1)) : nil
            let text = controlledText(position..<tagStart, sign: sign, isVariable: kind == .variable)
            emitText(text)
            position = signIndex + (sign == nil ? 0 : 1)
            if let rawBodyStart {
                lineStarting = scalars[rawBodyStart - 1] == "\n"
                position = rawBodyStart
                try lexRawBody(openedAt: tagStart)
                continue
            }
            switch kind {
            case .comment:
                try skipComment(openedAt: tagStart)
            case .block:
                tokens.append(Token(kind: .blockBegin, location: location(at: tagStart)))
                try lexTag(isBlock: true, openedAt: tagStart)
            case .variable:
                tokens.append(Token(kind: .variableBegin, location: location(at: tagStart)))
                try lexTag(isBlock: false, openedAt: tagStart)
            }
        }
        tokens.append(Token(kind: .endOfInput, location: location(at: scalars.count)))
    }

    private func nextTag(from start: Int) -> (Int, TagKind)? {
        var index = start
        while index + 1 < scalars.count {
            if scalars[index] == "{" {
                switch scalars[index + 1] {
                case "{": return (index, .variable)
                case "%": return (index, .block)
                case "#": return (index, .comment)
                default: break
                }
            }
            index += 1
        }
        return nil
    }

    /// Applies `{%-`, `{%+` and `lstrip_blocks` to the text before a tag.
    private func controlledText(_ range: Range<Int>, sign: Unicode.Scalar?, isVariable: Bool) -> Range<Int> {
        if sign == "-" {
            var end = range.upperBound
            while end > range.lowerBound && scalars[end - 1].isPythonWhitespace {
                end -= 1
            }
            return range.lowerBound..<end
        }
        guard sign != "+", !isVariable else { return range }
        var lineStart = range.upperBound
        while lineStart > range.lowerBound && scalars[lineStart - 1] != "\n" {
            lineStart -= 1
        }
        let textHasNewline = lineStart > range.lowerBound
        guard textHasNewline || lineStarting, lineStart < range.upperBound else { return range }
        for index in lineStart..<range.upperBound where !scalars[index].isPythonWhitespace {
            return range
        }
        return range.lowerBound..<lineStart
    }

    private mutating func emitText(_ range: Range<Int>) {
        guard !range.isEmpty else { return }
        tokens.append(Token(kind: .text(String(scalars: scalars[range])), location: location(at: range.lowerBound)))
    }

    private mutating func skipComment(openedAt start: Int) throws(TemplateError) {
        // Jinja drops a "{#" that ends the template without complaint.
        guard position < scalars.count else { return }
        var index = position
        while index + 1 < scalars.count {
            if scalars[index] == "#" && scalars[index + 1] == "}" {
                let marker: Unicode.Scalar? = index > position ? scalars[index - 1] : nil
                position = index + 2
                if marker == "-" {
                    skipWhitespaceAfterTag()
                } else if marker != "+" {
                    trimNewlineAfterBlock()
                } else {
                    lineStarting = false
                }
                return
            }
            index += 1
        }
        throw .syntax("missing end of comment tag '#}'", at: location(at: start))
    }

    /// After `-%}`, `-}}` or `-#}`: every following whitespace character goes.
    private mutating func skipWhitespaceAfterTag() {
        let start = position
        while position < scalars.count && scalars[position].isPythonWhitespace {
            position += 1
        }
        lineStarting = position > start ? scalars[position - 1] == "\n" : false
    }

    /// `trim_blocks`: the first newline after a block or comment tag goes.
    private mutating func trimNewlineAfterBlock() {
        if position < scalars.count && scalars[position] == "\n" {
            position += 1
            lineStarting = true
        } else {
            lineStarting = false
        }
    }

    // MARK: - Raw blocks

    /// Where the body of `{% raw %}` starts, if the block tag at `index` is one.
    private func rawBlockBodyStart(afterSign index: Int) -> Int? {
        var cursor = skipSpaces(from: index)
        guard matches("raw", at: cursor) else { return nil }
        cursor = skipSpaces(from: cursor + 3)
        if matches("-%}", at: cursor) {
            var end = cursor + 3
            while end < scalars.count && scalars[end].isPythonWhitespace { end += 1 }
            return end
        }
        if matches("%}", at: cursor) { return cursor + 2 }
        return nil
    }

    private mutating func lexRawBody(openedAt start: Int) throws(TemplateError) {
        var index = position
        while index + 1 < scalars.count {
            // Only "{%" can end a raw block; "{{%" still holds one.
            guard scalars[index] == "{", scalars[index + 1] == "%" else {
                index += 1
                continue
            }
            let tagStart = index
            index = tagStart + 2
            let signIndex = tagStart + 2
            let sign: Unicode.Scalar? =
                signIndex < scalars.count && (scalars[signIndex] == "-" || scalars[signIndex] == "+")
                ? scalars[signIndex] : nil
            var cursor = skipSpaces(from: signIndex + (sign == nil ? 0 : 1))
            guard matches("endraw", at: cursor) else { continue }
            cursor = skipSpaces(from: cursor + 6)
            let ending: Int
            if matches("+%}", at: cursor) || matches("-%}", at: cursor) {
                ending = cursor + 3
            } else if matches("%}", at: cursor) {
                ending = cursor + 2
            } else {
                continue
            }
            emitText(controlledText(position..<tagStart, sign: sign, isVariable: false))
            position = ending
            if matches("-%}", at: cursor) {
                skipWhitespaceAfterTag()
            } else if matches("%}", at: cursor) {
                trimNewlineAfterBlock()
            } else {
                lineStarting = false
            }
            return
        }
        throw .syntax("missing '{% endraw %}' for this raw block", at: location(at: start))
    }

    private func skipSpaces(from index: Int) -> Int {
        var cursor = index
        while cursor < scalars.count && scalars[cursor].isPythonWhitespace { cursor += 1 }
        return cursor
    }

    private func matches(_ literal: String, at index: Int) -> Bool {
        var cursor = index
        for scalar in literal.unicodeScalars {
            guard cursor < scalars.count, scalars[cursor] == scalar else { return false }
            cursor += 1
        }
        return true
    }

    // MARK: - Inside tags

    private mutating func lexTag(isBlock: Bool, openedAt start: Int) throws(TemplateError) {
        brackets.removeAll()
        while true {
            guard position < scalars.count else {
                let closer = isBlock ? "%}" : "}}"
                throw .syntax("unexpected end of template, expected '\(closer)'", at: location(at: start))
            }
            if brackets.isEmpty, try lexTagEnd(isBlock: isBlock) {
                return
            }
            let scalar = scalars[position]
            if scalar.isPythonWhitespace {
                position += 1
            } else if ("0"..."9").contains(scalar) {
                try lexNumber()
            } else if scalar == "_" || scalar.properties.isXIDStart {
                lexName()
            } else if scalar == "'" || scalar == "\"" {
                try lexString()
            } else {
                try lexSymbol()
            }
        }
    }

    private mutating func lexTagEnd(isBlock: Bool) throws(TemplateError) -> Bool {
        let start = position
        if isBlock {
            if matches("+%}", at: position) {
                position += 3
                lineStarting = false
            } else if matches("-%}", at: position) {
                position += 3
                skipWhitespaceAfterTag()
            } else if matches("%}", at: position) {
                position += 2
                trimNewlineAfterBlock()
            } else {
                return false
            }
            tokens.append(Token(kind: .blockEnd, location: location(at: start)))
        } else {
            if matches("-}}", at: position) {
                position += 3
                skipWhitespaceAfterTag()
            } else if matches("}}", at: position) {
                position += 2
                lineStarting = false
            } else {
                return false
            }
            tokens.append(Token(kind: .variableEnd, location: location(at: start)))
        }
        return true
    }

    private mutating func lexName() {
        let start = position
        position += 1
        while position < scalars.count,
            scalars[position] == "_" || scalars[position].properties.isXIDContinue
        {
            position += 1
        }
        tokens.append(Token(kind: .name(String(scalars: scalars[start..<position])), location: location(at: start)))
    }

    private func isDigit(_ index: Int) -> Bool {
        index < scalars.count && ("0"..."9").contains(scalars[index])
    }

    /// Digits with single underscores between them, as Python allows: the index after them.
    private func digitRun(from index: Int, digit: (Unicode.Scalar) -> Bool = { ("0"..."9").contains($0) }) -> Int? {
        guard index < scalars.count, digit(scalars[index]) else { return nil }
        var cursor = index + 1
        while cursor < scalars.count {
            if digit(scalars[cursor]) {
                cursor += 1
            } else if scalars[cursor] == "_", cursor + 1 < scalars.count, digit(scalars[cursor + 1]) {
                cursor += 2
            } else {
                break
            }
        }
        return cursor
    }

    private mutating func lexNumber() throws(TemplateError) {
        let start = position
        let afterDot = start > 0 && scalars[start - 1] == "."
        if !afterDot, let floatEnd = floatLiteralEnd(from: start) {
            let text = String(scalars: scalars[start..<floatEnd].filter { $0 != "_" })
            guard let value = Double(text) else {
                throw .syntax("invalid number '\(text)'", at: location(at: start))
            }
            tokens.append(Token(kind: .float(value), location: location(at: start)))
            position = floatEnd
            return
        }
        var radix = 10
        var digitsStart = start
        if scalars[start] == "0", start + 1 < scalars.count {
            switch scalars[start + 1] {
            case "b", "B": radix = 2
            case "o", "O": radix = 8
            case "x", "X": radix = 16
            default: break
            }
            if radix != 10 {
                digitsStart = start + 2
                if digitsStart < scalars.count && scalars[digitsStart] == "_" { digitsStart += 1 }
            }
        }
        let isRadixDigit: (Unicode.Scalar) -> Bool = { scalar in
            guard let value = Int(String(scalar), radix: 16) else { return false }
            return value < radix
        }
        guard let end = digitRun(from: digitsStart, digit: isRadixDigit) else {
            throw .syntax("invalid number literal", at: location(at: start))
        }
        let digits = String(scalars: scalars[digitsStart..<end].filter { $0 != "_" })
        // Python rejects leading zeros in decimals ("007"); keep Jinja's reading of "0".
        let decimalEnd = radix == 10 && scalars[start] == "0" ? start + 1 : end
        let text = radix == 10 ? String(scalars: scalars[start..<decimalEnd].filter { $0 != "_" }) : digits
        guard let value = Int(text, radix: radix) else {
            throw .syntax("integer literal \(text) is too large", at: location(at: start))
        }
        tokens.append(Token(kind: .integer(value), location: location(at: start)))
        position = decimalEnd
    }

    private func floatLiteralEnd(from start: Int) -> Int? {
        guard let integerEnd = digitRun(from: start) else { return nil }
        var cursor = integerEnd
        var hasFraction = false
        if cursor < scalars.count, scalars[cursor] == ".", let fractionEnd = digitRun(from: cursor + 1) {
            cursor = fractionEnd
            hasFraction = true
        }
        if cursor < scalars.count, scalars[cursor] == "e" || scalars[cursor] == "E" {
            var exponentStart = cursor + 1
            if exponentStart < scalars.count, scalars[exponentStart] == "+" || scalars[exponentStart] == "-" {
                exponentStart += 1
            }
            if let exponentEnd = digitRun(from: exponentStart) {
                return exponentEnd
            }
        }
        return hasFraction ? cursor : nil
    }

    private mutating func lexString() throws(TemplateError) {
        let start = position
        let quote = scalars[position]
        var cursor = position + 1
        var value = String.UnicodeScalarView()
        while true {
            guard cursor < scalars.count else {
                throw .syntax("unterminated string literal", at: location(at: start))
            }
            let scalar = scalars[cursor]
            if scalar == quote {
                cursor += 1
                break
            }
            if scalar != "\\" {
                value.append(scalar)
                cursor += 1
                continue
            }
            guard cursor + 1 < scalars.count else {
                throw .syntax("unterminated string literal", at: location(at: start))
            }
            cursor = try unescape(at: cursor + 1, into: &value)
        }
        position = cursor
        tokens.append(Token(kind: .string(String(value)), location: location(at: start)))
    }

    /// Python's backslash escapes (Jinja decodes string literals with `unicode-escape`).
    /// Returns the index after the escape.
    private func unescape(at index: Int, into value: inout String.UnicodeScalarView) throws(TemplateError) -> Int {
        let scalar = scalars[index]
        let simple: [Unicode.Scalar: Unicode.Scalar] = [
            "n": "\n", "t": "\t", "r": "\r", "\\": "\\", "'": "'", "\"": "\"",
            "a": "\u{07}", "b": "\u{08}", "f": "\u{0C}", "v": "\u{0B}",
        ]
        if scalar == "\n" { return index + 1 }
        if let replacement = simple[scalar] {
            value.append(replacement)
            return index + 1
        }
        if ("0"..."7").contains(scalar) {
            var cursor = index
            var code: UInt32 = 0
            while cursor < scalars.count, cursor < index + 3, ("0"..."7").contains(scalars[cursor]) {
                code = code * 8 + (scalars[cursor].value - 0x30)
                cursor += 1
            }
            value.append(Unicode.Scalar(code) ?? "\u{FFFD}")
            return cursor
        }
        let hexLength: Int? = switch scalar {
        case "x": 2
        case "u": 4
        case "U": 8
        default: nil
        }
        guard let hexLength else {
            // Python keeps unknown escapes as they are.
            value.append("\\")
            value.append(scalar)
            return index + 1
        }
        let digitsStart = index + 1
        guard digitsStart + hexLength <= scalars.count,
            let code = UInt32(String(scalars: scalars[digitsStart..<digitsStart + hexLength]), radix: 16),
            let decoded = Unicode.Scalar(code)
        else {
            throw .syntax("invalid \\\(scalar) escape in string literal", at: location(at: index - 1))
        }
        value.append(decoded)
        return digitsStart + hexLength
    }

    private mutating func lexSymbol() throws(TemplateError) {
        let start = position
        let twoCharacter = ["**", "//", "==", "!=", ">=", "<="]
        for symbol in twoCharacter where matches(symbol, at: position) {
            position += 2
            tokens.append(Token(kind: .symbol(symbol), location: location(at: start)))
            return
        }
        let scalar = scalars[position]
        guard "+-/*%~[](){}=<>.:|,;".unicodeScalars.contains(scalar) else {
            throw .syntax("unexpected character '\(scalar)'", at: location(at: start))
        }
        switch scalar {
        case "(": brackets.append(")")
        case "[": brackets.append("]")
        case "{": brackets.append("}")
        case ")", "]", "}":
            guard let expected = brackets.popLast() else {
                throw .syntax("unexpected '\(scalar)'", at: location(at: start))
            }
            guard expected == scalar else {
                throw .syntax("unexpected '\(scalar)', expected '\(expected)'", at: location(at: start))
            }
        default:
            break
        }
        position += 1
        tokens.append(Token(kind: .symbol(String(scalar)), location: location(at: start)))
    }

    private func location(at index: Int) -> SourceLocation {
        var low = 0
        var high = lineStarts.count - 1
        while low < high {
            let middle = (low + high + 1) / 2
            if lineStarts[middle] <= index {
                low = middle
            } else {
                high = middle - 1
            }
        }
        return SourceLocation(line: low + 1, column: index - lineStarts[low] + 1)
    }
}
