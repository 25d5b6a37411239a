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

    public subscript(name: String) -> Double { values[name] ?? 0 }

    public init(values: [String: Double], promptTokens: Int, promptTokensAtMost: Int? = nil) {
        self.values = values
        self.promptTokens = promptTokens
        self.promptTokensAtMost = promptTokensAtMost ?? promptTokens
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
    }

    /// The features of `text`, spread over `messages` messages.
    public static func measure(_ text: String, messages: Int = 1, structured: Bool = false) -> RequestFeatures {
        var words: [Substring] = []
        var bytes = 0, nonASCIILetters = 0, letters = 0, questions = 0, codeMarks = 0, mathMarks = 0, listLines = 0
        var atLineStart = true
        let lowered = text.lowercased()
        for scalar in lowered.unicodeScalars {
            bytes += 1
            if scalar.properties.isAlphabetic {
                letters += 1
                if !scalar.isASCII { nonASCIILetters += 1 }
            }
            switch scalar {
            case "?": questions += 1
            case "{", "}", ";", "`", "_": codeMarks += 1
            case "=", "+", "^", "∫", "∑", "√", "≤", "≥", "\\": mathMarks += 1
            default: break
            }
            if atLineStart, scalar.properties.numericType != nil || scalar == "-" || scalar == "*" { listLines += 1 }
            if scalar == "\n" { atLineStart = true } else if scalar != " " { atLineStart = false }
        }
        words = lowered.split { !($0.isLetter || $0.isNumber) }
        var counts: [Substring: Int] = [:]
        for word in words { counts[word, default: 0] += 1 }
        func count(_ vocabulary: [Substring]) -> Int { vocabulary.reduce(0) { $0 + (counts[$1] ?? 0) } }
        func phrases(_ list: [String]) -> Int { list.reduce(0) { $0 + (lowered.contains($1) ? 1 : 0) } }

        let code = count(Self.codeWords) + codeMarks / 4 + (lowered.contains("```") ? 4 : 0)
        let math = count(Self.mathWords) + mathMarks / 2
        let reasoning = count(Self.reasoningWords) + 2 * phrases(Self.reasoningPhrases)
        let steps = count(Self.stepWords) + listLines
        let constraints = count(Self.constraintWords) + 2 * phrases(Self.constraintPhrases)
        let simple = count(Self.simpleWords) + phrases(Self.simplePhrases)
        var values: [String: Double] = [:]
        values["length"] = saturating(Double(words.count), at: 400)
        values["code"] = saturating(Double(code), at: 6)
        values["math"] = saturating(Double(math), at: 5)
        values["reasoning"] = saturating(Double(reasoning), at: 5)
        values["steps"] = saturating(Double(steps), at: 6)
        values["constraints"] = saturating(Double(constraints), at: 5)
        values["questions"] = saturating(Double(questions), at: 4)
        values["simple"] = saturating(Double(simple), at: 2)
        values["depth"] = saturating(Double(max(0, messages - 1)), at: 10)
        values["structured"] = structured ? 1 : 0
        values["language"] = letters == 0 ? 0 : Double(nonASCIILetters) / Double(letters)
        return RequestFeatures(values: values, promptTokens: bytes / 4 + 3 * max(1, messages),
                               promptTokensAtMost: text.utf8.count + 8 * max(1, messages) + 8)
    }

    /// 0 at 0, rising quickly, 1 at `full` and beyond.
    private static func saturating(_ value: Double, at full: Double) -> Double {
        min(1, value / full)
    }

    static let codeWords: [Substring] = ["function", "func", "def", "class", "struct", "return", "import", "compile", "compiler",
                                         "bug", "debug", "stack", "regex", "sql", "query", "python", "rust", "swift", "javascript",
                                         "typescript", "java", "kotlin", "golang", "api", "refactor", "algorithm", "implement",
                                         "code", "async", "thread", "pointer", "recursion", "complexity"]
    static let mathWords: [Substring] = ["prove", "proof", "theorem", "lemma", "integral", "derivative", "equation", "matrix",
                                         "eigenvalue", "probability", "expected", "variance", "solve", "calculate", "compute",
                                         "polynomial", "prime", "modulo", "limit", "series", "optimize", "geometry", "vector",
                                         "inequality", "combinatorics", "logarithm"]
    static let reasoningWords: [Substring] = ["why", "analyze", "analyse", "compare", "evaluate", "justify", "tradeoff", "tradeoffs",
                                              "critique", "design", "architecture", "strategy", "implications", "hypothesis",
                                              "reason", "reasoning", "argue", "assess", "diagnose", "plan"]
    static let reasoningPhrases = ["step by step", "trade-off", "pros and cons", "think through", "root cause", "what if"]
    static let stepWords: [Substring] = ["first", "then", "next", "finally", "afterwards", "second", "third", "steps", "stage"]
    static let constraintWords: [Substring] = ["must", "exactly", "only", "without", "never", "always", "require", "required",
                                               "ensure", "limit", "maximum", "minimum", "format"]
    /// Cues of everyday tasks: look-ups, small rewrites, greetings, suggestions.
    static let simpleWords: [Substring] = ["synonym", "translate", "spell", "spelling", "capitalize", "hello", "hi", "thanks", "thank",
                                           "joke", "suggest", "recommend", "name", "rewrite", "shorter", "politely", "convert", "round",
                                           "define", "meaning", "haiku", "tweet", "subject", "title", "reminder", "birthday", "favorite",
                                           "short", "poem", "quick", "brief", "briefly", "fun", "random"]
    static let simplePhrases = ["what is", "who is", "who was", "who wrote", "how many", "how do i", "tell me", "give me", "what does",
                                "where can i", "can i", "one sentence", "one line", "one-line"]
    static let constraintPhrases = ["at least", "at most", "no more than", "no longer than", "in json", "do not", "don't"]
}
