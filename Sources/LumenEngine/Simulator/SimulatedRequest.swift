public import LumenAPI

/// What a generation request asks of the simulator, read from its JSON body.
public struct SimulatedRequest: Sendable {
    public enum Kind: Sendable {
        case chat, completion
    }

    /// A planned tool call: the function and its arguments, streamed in fragments.
    public struct ToolCall: Sendable {
        public var id: String
        public var name: String
        public var arguments: String
    }

    public var kind: Kind
    public var model: String
    public var stream: Bool
    public var includeUsage: Bool
    public var choices: Int
    public var maxTokens: Int?
    public var logprobs: Bool
    public var topLogprobs: Int
    public var promptTokens: Int
    /// Tokens of each choice still to send.
    public var outputs: [[String]]
    /// Set when the answer is a tool call instead of text.
    public var toolCall: ToolCall?
    /// The prompt as the prefix cache sees it: every message's role and text, in order.
    public var promptText = ""

    /// Validates the body the way an OpenAI-compatible server does; errors are 400s in OpenAI's shape.
    public init(kind: Kind, body: JSONValue) throws(OpenAIError) {
        guard body.entries != nil else { throw .invalidRequest("the request body must be a JSON object") }
        self.kind = kind
        guard let model = body["model"]?.stringValue, !model.isEmpty else {
            throw .invalidRequest("model is required and must be a string", param: "model")
        }
        self.model = model
        stream = try Self.optionalBool(body, "stream") ?? false
        includeUsage = body["stream_options"]?["include_usage"]?.boolValue ?? false
        choices = try Self.optionalInt(body, "n", in: 1...16) ?? 1
        let maxCompletionTokens = try Self.optionalInt(body, "max_completion_tokens", in: 1...1_000_000)
        let legacyMaxTokens = try Self.optionalInt(body, "max_tokens", in: 1...1_000_000)
        maxTokens = maxCompletionTokens ?? legacyMaxTokens
        // As vLLM's extension: with max_tokens, answer exactly that many tokens (long streams for load tests).
        let ignoreEOS = try Self.optionalBool(body, "ignore_eos") ?? false
        logprobs = try Self.optionalBool(body, "logprobs") ?? false
        topLogprobs = try Self.optionalInt(body, "top_logprobs", in: 0...20) ?? 0

        var conversation = ""
        var partial: String?
        /// The tool call a continuation finishes: its name and the arguments already sent.
        var partialToolCall: (name: String, arguments: String)?
        switch kind {
        case .chat:
            guard let messages = body["messages"]?.arrayValue else {
                throw .invalidRequest("messages is required and must be an array of messages", param: "messages")
            }
            guard !messages.isEmpty else { throw .invalidRequest("messages must not be empty", param: "messages") }
            for (index, message) in messages.enumerated() {
                guard let role = message["role"]?.stringValue else {
                    throw .invalidRequest("messages[\(index)].role is required", param: "messages[\(index)].role")
                }
                guard ["system", "developer", "user", "assistant", "tool"].contains(role) else {
                    throw .invalidRequest("messages[\(index)].role must be system, developer, user, assistant or tool",
                                          param: "messages[\(index)].role")
                }
            }
            let continueFinal = try Self.optionalBool(body, "continue_final_message") ?? false
            let addGenerationPrompt = try Self.optionalBool(body, "add_generation_prompt") ?? true
            var history = messages
            if continueFinal {
                // As vLLM: continuing needs add_generation_prompt: false sent explicitly.
                guard !addGenerationPrompt else {
                    throw .invalidRequest("continue_final_message and add_generation_prompt cannot both be true",
                                          param: "continue_final_message")
                }
                guard messages.last?["role"]?.stringValue == "assistant" else {
                    throw .invalidRequest("continue_final_message needs a final assistant message to continue",
                                          param: "messages")
                }
                partial = messages.last?["content"]?.messageText ?? ""
                if let call = messages.last?["tool_calls"]?.arrayValue?.last?["function"] {
                    partialToolCall = (call["name"]?.stringValue ?? "", call["arguments"]?.stringValue ?? "")
                }
                history.removeLast()
            }
            for message in history {
                conversation += (message["role"]?.stringValue ?? "") + "\u{1}" + (message["content"]?.messageText ?? "") + "\u{2}"
            }
            promptTokens = messages.reduce(0) { $0 + 3 + Self.wordCount(($1["content"] ?? .null).messageText) }
            promptText = messages.map { ($0["role"]?.stringValue ?? "") + ": " + ($0["content"] ?? .null).messageText }.joined(separator: "\n")
            toolCall = try Self.plannedToolCall(body, lastUser: history.last(where: { $0["role"]?.stringValue == "user" }),
                                                fingerprint: SimulatedText.fingerprint(conversation))
            if let partialToolCall {
                // Finish the arguments of a call this model started; any other call is not ours to finish.
                guard let planned = toolCall, planned.name == partialToolCall.name, planned.arguments.hasPrefix(partialToolCall.arguments) else {
                    throw .invalidRequest("the final assistant message's tool call is not one this model would make, so it cannot be continued; "
                                          + "send it without continue_final_message", param: "messages")
                }
                toolCall?.arguments = String(planned.arguments.dropFirst(partialToolCall.arguments.count))
            }
        case .completion:
            guard let prompt = body["prompt"] else { throw .invalidRequest("prompt is required", param: "prompt") }
            switch prompt {
            case .string(let text): conversation = text
            case .list(let items) where items.allSatisfy({ $0.stringValue != nil }):
                conversation = items.compactMap(\.stringValue).joined(separator: "\n")
            default: throw .invalidRequest("prompt must be a string or an array of strings", param: "prompt")
            }
            promptTokens = Self.wordCount(conversation)
            promptText = conversation
        }

        let fingerprint = SimulatedText.fingerprint(conversation)
        var outputs: [[String]] = []
        for choice in 0..<choices {
            var length = ignoreEOS ? maxTokens : nil
            if let partial, let newTokens = length {
                // max_tokens counts new tokens: the whole answer is what the partial holds plus that many.
                let probe = SimulatedText.tokens(fingerprint: fingerprint, choice: choice, length: newTokens + Self.wordCount(partial) + 1)
                let held = probe.count - (SimulatedText.continuation(of: probe, after: partial)?.count ?? probe.count)
                length = held + newTokens
            }
            var tokens = SimulatedText.tokens(fingerprint: fingerprint, choice: choice, length: length)
            if let partial {
                // Continue our own answer seamlessly; any other text is treated as new context.
                tokens = SimulatedText.continuation(of: tokens, after: partial)
                    ?? SimulatedText.tokens(fingerprint: SimulatedText.fingerprint(conversation + partial), choice: choice)
            }
            if let maxTokens, tokens.count > maxTokens { tokens = Array(tokens.prefix(maxTokens)) }
            outputs.append(tokens)
        }
        self.outputs = outputs
    }

    /// Why each choice ends: `length` when cut by `max_tokens`, `tool_calls`, else `stop`.
    public var finishReason: String {
        if toolCall != nil { return "tool_calls" }
        if let maxTokens, outputs.contains(where: { $0.count == maxTokens }) { return "length" }
        return "stop"
    }

    static func wordCount(_ text: String) -> Int {
        text.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" }).count
    }

    private static func optionalBool(_ body: JSONValue, _ key: String) throws(OpenAIError) -> Bool? {
        guard let value = body[key], !value.isNull else { return nil }
        guard let flag = value.boolValue else { throw .invalidRequest("\(key) must be a boolean, got \(value.typeName)", param: key) }
        return flag
    }

    private static func optionalInt(_ body: JSONValue, _ key: String, in range: ClosedRange<Int>) throws(OpenAIError) -> Int? {
        guard let value = body[key], !value.isNull else { return nil }
        guard let number = value.intValue, range.contains(number) else {
            throw .invalidRequest("\(key) must be an integer from \(range.lowerBound) to \(range.upperBound)", param: key)
        }
        return number
    }

    /// A tool is called when `tool_choice` requires it or names it, or on `auto` when the last
    /// user message mentions the tool's name; arguments follow the tool's JSON schema.
    private static func plannedToolCall(_ body: JSONValue, lastUser: JSONValue?, fingerprint: UInt64) throws(OpenAIError) -> ToolCall? {
        guard let tools = body["tools"]?.arrayValue, !tools.isEmpty else { return nil }
        let functions = tools.compactMap { $0["function"] }
        guard functions.count == tools.count, functions.allSatisfy({ $0["name"]?.stringValue != nil }) else {
            throw .invalidRequest("each tool must be {\"type\": \"function\", \"function\": {\"name\": ...}}", param: "tools")
        }
        let choice = body["tool_choice"] ?? .string("auto")
        var chosen: JSONValue?
        switch choice {
        case .string("none"): return nil
        case .string("required"): chosen = functions.first
        case .string("auto"):
            let text = lastUser?["content"]?.messageText ?? ""
            chosen = functions.first { text.contains($0["name"]?.stringValue ?? "\u{0}") }
        default:
            guard let name = choice["function"]?["name"]?.stringValue else {
                throw .invalidRequest("tool_choice must be none, auto, required or {\"type\": \"function\", \"function\": {\"name\": ...}}",
                                      param: "tool_choice")
            }
            guard let named = functions.first(where: { $0["name"]?.stringValue == name }) else {
                throw .invalidRequest("tool_choice names \(name), which is not in tools", param: "tool_choice")
            }
            chosen = named
        }
        guard let function = chosen, let name = function["name"]?.stringValue else { return nil }
        var generator = SplitMix64(seed: fingerprint ^ SimulatedText.fingerprint(name))
        var arguments: [JSONValue.Entry] = []
        for property in function["parameters"]?["properties"]?.entries ?? [] {
            let word = SimulatedText.words[Int(generator.next() % UInt64(SimulatedText.words.count))]
            let value: JSONValue = switch property.value["type"]?.stringValue {
            case "integer", "number": .number(String(generator.next() % 100))
            case "boolean": .bool(generator.next() % 2 == 0)
            default: .string(word)
            }
            arguments.append(.init(property.key, value))
        }
        let id = "call_" + String(generator.next() % 1_000_000_000_000, radix: 36)
        return ToolCall(id: id, name: name, arguments: JSONValue.map(arguments).json(pretty: false))
    }
}
