extension JSONValue {
    /// Why a document was refused: where, and what was wrong there.
    public struct JSONSyntaxError: Error, Sendable, Equatable, CustomStringConvertible {
        public var offset: Int
        public var reason: String
        public var description: String { "\(reason) at byte \(offset)" }
    }

    /// Bounds on what one document may hold, so a small body cannot cost unbounded memory or stack.
    public struct ParseLimits: Sendable, Equatable {
        /// Arrays and objects nested deeper than this are refused (the parser recurses once per level).
        public var maxDepth: Int
        /// Values in the whole document (every array item, object member and scalar counts).
        public var maxValues: Int
        /// Bytes of one string (after unescaping) or object key.
        public var maxStringBytes: Int
        /// Characters of one number.
        public var maxNumberLength: Int

        public init(maxDepth: Int = 128, maxValues: Int = 1_000_000, maxStringBytes: Int = 64 * 1024 * 1024, maxNumberLength: Int = 100) {
            self.maxDepth = maxDepth
            self.maxValues = maxValues
            self.maxStringBytes = maxStringBytes
            self.maxNumberLength = maxNumberLength
        }
    }

    /// Parses JSON (RFC 8259, strictly) keeping key order and number text, so stored canonical JSON
    /// prints back exactly without a round trip through the typed model.
    public init(json: String, limits: ParseLimits = ParseLimits()) throws(JSONSyntaxError) {
        var text = json
        let parsed = text.withUTF8 { bytes in
            Result { () throws(JSONSyntaxError) in try JSONValue(utf8: bytes, limits: limits) }
        }
        self = try parsed.get()
    }

    /// Parses a UTF-8 document. Invalid UTF-8 inside strings, lone surrogates, control characters,
    /// unknown escapes, malformed numbers and anything past the limits are refused.
    public init(utf8 bytes: UnsafeBufferPointer<UInt8>, limits: ParseLimits = ParseLimits()) throws(JSONSyntaxError) {
        var parser = JSONParser(bytes: bytes, limits: limits)
        let value = try parser.parseValue(depth: 0)
        parser.skipWhitespace()
        guard parser.index == bytes.count else { throw parser.fail("unexpected data after the JSON value") }
        self = value
    }
}

private struct JSONParser {
    let bytes: UnsafeBufferPointer<UInt8>
    let limits: JSONValue.ParseLimits
    var index = 0
    var values = 0

    init(bytes: UnsafeBufferPointer<UInt8>, limits: JSONValue.ParseLimits) {
        self.bytes = bytes
        self.limits = limits
    }

    func fail(_ reason: String) -> JSONValue.JSONSyntaxError { .init(offset: index, reason: reason) }

    mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x0A, 0x0D, 0x09: index += 1
            default: return
            }
        }
    }

    mutating func parseValue(depth: Int) throws(JSONValue.JSONSyntaxError) -> JSONValue {
        skipWhitespace()
        guard index < bytes.count else { throw fail("unexpected end of the document, expected a value") }
        values += 1
        guard values <= limits.maxValues else { throw fail("more than \(limits.maxValues) values in one document") }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try parseObject(depth: depth + 1)
        case UInt8(ascii: "["): return try parseArray(depth: depth + 1)
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try expect("true"); return .bool(true)
        case UInt8(ascii: "f"): try expect("false"); return .bool(false)
        case UInt8(ascii: "n"): try expect("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
        default: throw fail("unexpected character, expected a value")
        }
    }

    private mutating func expect(_ word: StaticString) throws(JSONValue.JSONSyntaxError) {
        let count = word.utf8CodeUnitCount
        guard index + count <= bytes.count else { throw fail("unexpected end of the document") }
        let matches = word.withUTF8Buffer { expected in (0..<count).allSatisfy { bytes[index + $0] == expected[$0] } }
        guard matches else { throw fail("unexpected character, expected a value") }
        index += count
    }

    private mutating func enter(_ depth: Int) throws(JSONValue.JSONSyntaxError) {
        guard depth <= limits.maxDepth else { throw fail("arrays and objects nested deeper than \(limits.maxDepth)") }
        index += 1
    }

    private mutating func parseObject(depth: Int) throws(JSONValue.JSONSyntaxError) -> JSONValue {
        try enter(depth)
        var entries: [JSONValue.Entry] = []
        // Readers disagree on which of two equal keys wins (Lumen reads the first, most upstreams the
        // last), so a body could pass its limits on one value and be served on the other: refused.
        // Small objects (most of them) are checked by a scan; a set only once an object grows.
        var keys: Set<String> = []
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "}") { index += 1; return .map(entries) }
        while true {
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw fail("expected a string key") }
            let keyStart = index
            let key = try parseString()
            let repeated: Bool
            if entries.count < 16 {
                repeated = entries.contains { $0.key == key }
            } else {
                if keys.isEmpty { keys = Set(entries.map(\.key)) }
                repeated = !keys.insert(key).inserted
            }
            guard !repeated else {
                index = keyStart
                throw fail("a duplicate key \(JSONValue.jsonString(String(key.prefix(40)))) in an object")
            }
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw fail("expected ':' after an object key") }
            index += 1
            entries.append(.init(key, try parseValue(depth: depth)))
            skipWhitespace()
            guard index < bytes.count else { throw fail("unexpected end of the document inside an object") }
            if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
            guard bytes[index] == UInt8(ascii: "}") else { throw fail("expected ',' or '}' in an object") }
            index += 1
            return .map(entries)
        }
    }

    private mutating func parseArray(depth: Int) throws(JSONValue.JSONSyntaxError) -> JSONValue {
        try enter(depth)
        var items: [JSONValue] = []
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "]") { index += 1; return .list(items) }
        while true {
            items.append(try parseValue(depth: depth))
            skipWhitespace()
            guard index < bytes.count else { throw fail("unexpected end of the document inside an array") }
            if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
            guard bytes[index] == UInt8(ascii: "]") else { throw fail("expected ',' or ']' in an array") }
            index += 1
            return .list(items)
        }
    }

    private func isDigit(_ position: Int) -> Bool {
        position < bytes.count && (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[position])
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`, kept as its text.
    private mutating func parseNumber() throws(JSONValue.JSONSyntaxError) -> JSONValue {
        let start = index
        if bytes[index] == UInt8(ascii: "-") { index += 1 }
        guard isDigit(index) else { throw fail("a number needs a digit here") }
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
            if isDigit(index) { throw fail("a number may not have a leading zero") }
        } else {
            while isDigit(index) { index += 1 }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            guard isDigit(index) else { throw fail("a number needs a digit after '.'") }
            while isDigit(index) { index += 1 }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard isDigit(index) else { throw fail("a number needs a digit in its exponent") }
            while isDigit(index) { index += 1 }
        }
        guard index - start <= limits.maxNumberLength else {
            index = start
            throw fail("a number longer than \(limits.maxNumberLength) characters")
        }
        // Only ASCII digits and signs were consumed.
        return .number(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self))
    }

    private mutating func parseString() throws(JSONValue.JSONSyntaxError) -> String {
        index += 1
        var decoded: [UInt8] = []
        var runStart = index
        func appendRun(_ end: Int, to decoded: inout [UInt8]) {
            if end > runStart { decoded.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<end])) }
        }
        var sawEscape = false
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                let text: String?
                if sawEscape {
                    appendRun(index, to: &decoded)
                    text = String(validating: decoded, as: UTF8.self)
                } else {
                    text = String(validating: UnsafeBufferPointer(rebasing: bytes[runStart..<index]), as: UTF8.self)
                }
                guard let text else { throw fail("a string that is not valid UTF-8") }
                guard text.utf8.count <= limits.maxStringBytes else { throw fail("a string longer than \(limits.maxStringBytes) bytes") }
                index += 1
                return text
            }
            if byte < 0x20 { throw fail("an unescaped control character in a string") }
            guard byte == UInt8(ascii: "\\") else { index += 1; continue }
            sawEscape = true
            appendRun(index, to: &decoded)
            guard decoded.count <= limits.maxStringBytes else { throw fail("a string longer than \(limits.maxStringBytes) bytes") }
            index += 1
            guard index < bytes.count else { break }
            let escape = bytes[index]
            index += 1
            switch escape {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): decoded.append(escape)
            case UInt8(ascii: "n"): decoded.append(0x0A)
            case UInt8(ascii: "t"): decoded.append(0x09)
            case UInt8(ascii: "r"): decoded.append(0x0D)
            case UInt8(ascii: "b"): decoded.append(0x08)
            case UInt8(ascii: "f"): decoded.append(0x0C)
            case UInt8(ascii: "u"):
                UTF8.encode(try unicodeEscape()) { decoded.append($0) }
            default:
                index -= 2
                throw fail("an invalid escape in a string (only \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)")
            }
            runStart = index
        }
        throw fail("a string that does not end")
    }

    /// The scalar of `\uXXXX` (the `\u` already read), joining a surrogate pair; a lone surrogate is refused.
    private mutating func unicodeEscape() throws(JSONValue.JSONSyntaxError) -> Unicode.Scalar {
        let high = try hex4()
        switch high {
        case 0xD800..<0xDC00:
            guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                throw fail("a high surrogate \\u\(String(high, radix: 16)) without a low surrogate after it")
            }
            index += 2
            let low = try hex4()
            guard (0xDC00..<0xE000).contains(low) else {
                throw fail("a high surrogate followed by \\u\(String(low, radix: 16)), not a low surrogate")
            }
            // Both halves are in range, so this is 0x10000...0x10FFFF: always a scalar.
            guard let scalar = Unicode.Scalar(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)) else { throw fail("an invalid surrogate pair") }
            return scalar
        case 0xDC00..<0xE000:
            throw fail("a low surrogate \\u\(String(high, radix: 16)) without a high surrogate before it")
        default:
            guard let scalar = Unicode.Scalar(high) else { throw fail("an invalid \\u escape") }
            return scalar
        }
    }

    private mutating func hex4() throws(JSONValue.JSONSyntaxError) -> UInt32 {
        guard index + 4 <= bytes.count else { throw fail("a \\u escape needs four hex digits") }
        var value: UInt32 = 0
        for offset in 0..<4 {
            let byte = bytes[index + offset]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw fail("a \\u escape needs four hex digits")
            }
            value = value << 4 | UInt32(digit)
        }
        index += 4
        return value
    }
}
