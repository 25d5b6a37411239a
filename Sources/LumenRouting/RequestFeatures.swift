public import LumenAPI
import LumenManifest

/// What the difficulty scorer reads from a request: named features, each in [0, 1], and the
/// request's size. A pure function of the request body.
public struct RequestFeatures: Sendable, Equatable {
    /// The features the scorer knows, in the order `lumenctl route explain` lists them.
    public static let names = RouteSpec.Scorer.featureNames

    public var values: [String: Double]
    /// Prompt tokens, estimated (about four bytes of text per token, plus a few per message).
    public var promptTokens: Int
    /// A bound the prompt's tokens cannot pass: a token covers at least a byte of text, and a chat
    /// template adds a few per message. Budgets and price ceilings reserve against this.
    public var promptTokensAtMost: Int
    /// The prompt's first block, hashed, for prefix-affinity replica choice; nil for a short prompt.
    public var prefixKey: UInt64?

    public subscript(name: String) -> Double { values[name] ?? 0 }

    public init(values: [String: Double], promptTokens: Int, promptTokensAtMost: Int? = nil, prefixKey: UInt64? = nil) {
        self.values = values
        self.promptTokens = promptTokens
        self.promptTokensAtMost = promptTokensAtMost ?? promptTokens
        self.prefixKey = prefixKey
    }

    /// The features of a chat or completions request body.
    public init(body: JSONValue) {
        var text = ""
        var messages = 0
        if let list = body["messages"]?.arrayValue {
            messages = list.count
            for message in list {
                text += (message["content"] ?? .null).messageText
                text += "\n"
            }
        } else if let prompt = body["prompt"] {
            text = prompt.stringValue ?? prompt.arrayValue?.compactMap(\.stringValue).joined(separator: "\n") ?? ""
            messages = 1
        }
        let structured = body["tools"]?.arrayValue.map { !$0.isEmpty } == true
            || body["response_format"]?["type"]?.stringValue == "json_schema"
        self = Self.measure(text, messages: messages, structured: structured)
        promptTokensAtMost += Self.promptBoundBeyondText(body)
    }

    /// An embeddings body's input (a string, strings, or token lists): no difficulty, only its size.
    public init(embeddingsBody body: JSONValue) {
        let input = body["input"] ?? .null
        let bytes = Self.textBytes(input)
        self.init(values: [:], promptTokens: bytes / 4 + Self.tokenIDs(input), promptTokensAtMost: bytes + Self.tokenIDs(input) + 8)
    }

    /// Tokens the model is billed for beyond the messages' text: tool definitions and calls, schemas,
    /// names, token-id prompts and images. Counted as bytes (a token covers at least one), so the bound holds.
    private static func promptBoundBeyondText(_ body: JSONValue) -> Int {
        var bound = 0
        for field in ["tools", "functions", "tool_choice", "response_format"] {
            if let value = body[field], !value.isNull { bound += value.json(pretty: false).utf8.count }
        }
        for message in body["messages"]?.arrayValue ?? [] {
            for field in ["tool_calls", "function_call", "name", "tool_call_id"] {
                if let value = message[field], !value.isNull { bound += value.json(pretty: false).utf8.count }
            }
            // Images and audio cost far more tokens than their URL's bytes: a generous flat bound each.
            for part in message["content"]?.arrayValue ?? [] where part["type"]?.stringValue != "text" {
                bound += Self.tokensPerMediaPart
            }
        }
        if let prompt = body["prompt"] { bound += tokenIDs(prompt) }
        return bound
    }

    /// The bound for one image or audio part of a message.
    static let tokensPerMediaPart = 4_096

    /// Integers in a token-id list (or lists of them).
    private static func tokenIDs(_ value: JSONValue) -> Int {
        switch value {
        case .number: 1
        case .list(let items): items.reduce(0) { $0 + tokenIDs($1) }
        default: 0
        }
    }

    /// UTF-8 bytes of the strings in `value`.
    private static func textBytes(_ value: JSONValue) -> Int {
        switch value {
        case .string(let text): text.utf8.count
        case .list(let items): items.reduce(0) { $0 + textBytes($1) }
        default: 0
        }
    }

    /// The features of `text`, spread over `messages` messages. One pass over the UTF-8 bytes, for
    /// speed: the router scores every request.
    public static func measure(_ text: String, messages: Int = 1, structured: Bool = false) -> RequestFeatures {
        var bytes = Array(text.utf8)
        var scalars = 0, words = 0, nonASCIILetters = 0, letters = 0, questions = 0, codeMarks = 0, mathMarks = 0, listLines = 0
        var counts = [Int](repeating: 0, count: Category.allCases.count)
        var atLineStart = true, wordStart = -1
        for index in 0...bytes.count {
            var byte: UInt8 = 0x20
            if index < bytes.count {
                byte = bytes[index]
                if byte >= 0x41 && byte <= 0x5A { byte += 0x20; bytes[index] = byte }
            }
            let isWordByte = (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x30 && byte <= 0x39) || byte >= 0x80
            if isWordByte {
                if wordStart < 0 { wordStart = index }
            } else if wordStart >= 0 {
                words += 1
                if index - wordStart <= 15, let category = Self.vocabulary[String(decoding: bytes[wordStart..<index], as: UTF8.self)] {
                    counts[category.rawValue] += 1
                }
                wordStart = -1
            }
            guard index < bytes.count else { break }
            if byte & 0xC0 != 0x80 { scalars += 1 }
            if byte >= 0x61 && byte <= 0x7A {
                letters += 1
            } else if byte >= 0xC0 {
                // A non-ASCII character: a letter unless it is punctuation (general or CJK) or a maths symbol.
                let next = index + 1 < bytes.count ? bytes[index + 1] : 0
                if byte == 0xE2 && (next == 0x88 || next == 0x89) {
                    mathMarks += 1
                } else if !((byte == 0xE2 && next == 0x80) || (byte == 0xE3 && next == 0x80) || (byte == 0xEF && next == 0xBC)) {
                    letters += 1
                    nonASCIILetters += 1
                }
            }
            switch byte {
            case UInt8(ascii: "?"): questions += 1
            case UInt8(ascii: "{"), UInt8(ascii: "}"), UInt8(ascii: ";"), UInt8(ascii: "`"), UInt8(ascii: "_"): codeMarks += 1
            case UInt8(ascii: "="), UInt8(ascii: "+"), UInt8(ascii: "^"), UInt8(ascii: "\\"): mathMarks += 1
            default: break
            }
            if atLineStart, (byte >= 0x30 && byte <= 0x39) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "*") { listLines += 1 }
            if byte == UInt8(ascii: "\n") { atLineStart = true } else if byte != UInt8(ascii: " ") { atLineStart = false }
        }
        func count(_ category: Category) -> Int { counts[category.rawValue] }
        func phrases(_ list: [[UInt8]]) -> Int { list.reduce(0) { $0 + (Self.contains(bytes, $1) ? 1 : 0) } }

        let code = count(.code) + codeMarks / 4 + (Self.contains(bytes, Array("```".utf8)) ? 4 : 0)
        let math = count(.math) + mathMarks / 2
        let reasoning = count(.reasoning) + 2 * phrases(Self.reasoningPhrases)
        let steps = count(.steps) + listLines
        let constraints = count(.constraints) + 2 * phrases(Self.constraintPhrases)
        let simple = count(.simple) + phrases(Self.simplePhrases)
        var values: [String: Double] = [:]
        values["length"] = saturating(Double(words), at: 400)
        values["code"] = saturating(Double(code), at: 6)
        values["math"] = saturating(Double(math), at: 5)
        values["reasoning"] = saturating(Double(reasoning), at: 5)
        values["steps"] = saturating(Double(steps), at: 6)
        values["constraints"] = saturating(Double(constraints), at: 5)
        values["questions"] = saturating(Double(questions), at: 4)
        values["simple"] = saturating(Double(simple), at: 1)
        values["depth"] = saturating(Double(max(0, messages - 1)), at: 10)
        values["structured"] = structured ? 1 : 0
        values["language"] = letters == 0 ? 0 : Double(nonASCIILetters) / Double(letters)
        return RequestFeatures(values: values, promptTokens: scalars / 4 + 3 * max(1, messages),
                               promptTokensAtMost: bytes.count + 8 * max(1, messages) + 8, prefixKey: ReplicaPicker.prefixKey(text))
    }

    private static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard let first = needle.first, haystack.count >= needle.count else { return false }
        var index = 0
        let last = haystack.count - needle.count
        while index <= last {
            if haystack[index] == first {
                var matched = 1
                while matched < needle.count && haystack[index + matched] == needle[matched] { matched += 1 }
                if matched == needle.count { return true }
            }
            index += 1
        }
        return false
    }

    private enum Category: Int, CaseIterable {
        case code, math, reasoning, steps, constraints, simple
    }

    /// Each cue word and what it is a cue of.
    private static let vocabulary: [String: Category] = {
        var table: [String: Category] = [:]
        for (category, words) in [(Category.code, codeWords), (.math, mathWords), (.reasoning, reasoningWords), (.steps, stepWords),
                                  (.constraints, constraintWords), (.simple, simpleWords)] {
            for word in words where table[word] == nil { table[word] = category }
        }
        return table
    }()

    /// 0 at 0, rising quickly, 1 at `full` and beyond.
    private static func saturating(_ value: Double, at full: Double) -> Double {
        min(1, value / full)
    }

    static let codeWords: [String] = ["function", "func", "def", "class", "struct", "return", "import", "compile", "compiler",
                                         "bug", "debug", "stack", "regex", "sql", "query", "python", "rust", "swift", "javascript",
                                         "typescript", "java", "kotlin", "golang", "api", "refactor", "algorithm", "implement",
                                         "code", "async", "thread", "pointer", "recursion", "complexity"]
    static let mathWords: [String] = ["prove", "proof", "theorem", "lemma", "integral", "derivative", "equation", "matrix",
                                         "eigenvalue", "probability", "expected", "variance", "solve", "calculate", "compute",
                                         "polynomial", "prime", "modulo", "limit", "series", "optimize", "geometry", "vector",
                                         "inequality", "combinatorics", "logarithm"]
    static let reasoningWords: [String] = ["why", "analyze", "analyse", "compare", "evaluate", "justify", "tradeoff", "tradeoffs",
                                              "critique", "design", "architecture", "strategy", "implications", "hypothesis",
                                              "reason", "reasoning", "argue", "assess", "diagnose", "plan"]
    static let reasoningPhrases = ["step by step", "trade-off", "pros and cons", "think through", "root cause", "what if"].map { Array($0.utf8) }
    static let stepWords: [String] = ["first", "then", "next", "finally", "afterwards", "second", "third", "steps", "stage"]
    static let constraintWords: [String] = ["must", "exactly", "only", "without", "never", "always", "require", "required",
                                               "ensure", "limit", "maximum", "minimum", "format"]
    /// Cues of everyday tasks: look-ups, small rewrites, greetings, suggestions.
    static let simpleWords: [String] = ["synonym", "translate", "spell", "spelling", "capitalize", "hello", "hi", "thanks", "thank",
                                           "joke", "suggest", "recommend", "name", "rewrite", "shorter", "politely", "convert", "round",
                                           "define", "meaning", "haiku", "tweet", "subject", "title", "reminder", "birthday", "favorite",
                                           "short", "poem", "quick", "brief", "briefly", "fun", "random"]
    static let simplePhrases = ["what is", "who is", "who was", "who wrote", "how many", "how do i", "tell me", "give me", "what does",
                                "where can i", "can i", "one sentence", "one line", "one-line"].map { Array($0.utf8) }
    static let constraintPhrases = ["at least", "at most", "no more than", "no longer than", "in json", "do not", "don't"].map { Array($0.utf8) }
}
