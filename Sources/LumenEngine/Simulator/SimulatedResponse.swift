import LumenAPI

/// Builds the OpenAI JSON the simulator sends: whole responses and stream chunks.
struct SimulatedResponse {
    let request: SimulatedRequest
    let id: String
    let created: Int
    let model: String
    /// Prompt tokens found in the prefix cache, when the simulator models one.
    var cachedTokens: Int?
    /// Prefill time for the prompt tokens the cache did not have.
    var prefill: Duration = .zero

    private var object: String {
        switch request.kind {
        case .chat: request.stream ? "chat.completion.chunk" : "chat.completion"
        case .completion: "text_completion"
        }
    }

    private func envelope(_ choices: [JSONValue], usage: JSONValue? = nil) -> JSONValue {
        var entries: [JSONValue.Entry] = [
            .init("id", .string(id)), .init("object", .string(object)),
            .init("created", .number(String(created))), .init("model", .string(model)),
            .init("choices", .list(choices)),
        ]
        if let usage { entries.append(.init("usage", usage)) }
        return .map(entries)
    }

    func usage(completionTokens: Int) -> JSONValue {
        var entries: [JSONValue.Entry] = [
            .init("prompt_tokens", .number(String(request.promptTokens))),
            .init("completion_tokens", .number(String(completionTokens))),
            .init("total_tokens", .number(String(request.promptTokens + completionTokens))),
        ]
        if let cachedTokens { entries.append(.init("prompt_tokens_details", .map([.init("cached_tokens", .number(String(cachedTokens)))]))) }
        return .map(entries)
    }

    private func logprobs(_ tokens: [String]) -> JSONValue {
        guard request.logprobs else { return .null }
        let content = tokens.enumerated().map { index, token -> JSONValue in
            let top = (0..<request.topLogprobs).map { rank -> JSONValue in
                .map([.init("token", .string(rank == 0 ? token : " alt\(rank)")),
                      .init("logprob", .number(rank == 0 ? "-0.01" : "-\(rank + 2).5")),
                      .init("bytes", .list((rank == 0 ? token : " alt\(rank)").utf8.map { .number(String($0)) }))])
            }
            return .map([.init("token", .string(token)), .init("logprob", .number(index % 2 == 0 ? "-0.01" : "-0.02")),
                         .init("bytes", .list(token.utf8.map { .number(String($0)) })), .init("top_logprobs", .list(top))])
        }
        return .map([.init("content", .list(content))])
    }

    /// The complete, non-streamed response.
    func whole() -> JSONValue {
        var completionTokens = 0
        let choices = request.outputs.enumerated().map { index, tokens -> JSONValue in
            let text = tokens.joined()
            switch request.kind {
            case .chat:
                var message: [JSONValue.Entry] = [.init("role", .string("assistant"))]
                if let call = request.toolCall {
                    completionTokens += SimulatedRequest.wordCount(call.arguments) + 1
                    message.append(.init("content", .null))
                    // `index` belongs to stream deltas only.
                    message.append(.init("tool_calls", .list([toolCallValue(call, arguments: call.arguments, header: true).removing("index")])))
                } else {
                    completionTokens += tokens.count
                    message.append(.init("content", .string(text)))
                }
                return .map([.init("index", .number(String(index))), .init("message", .map(message)),
                             .init("logprobs", logprobs(tokens)), .init("finish_reason", .string(request.finishReason))])
            case .completion:
                completionTokens += tokens.count
                return .map([.init("index", .number(String(index))), .init("text", .string(text)),
                             .init("logprobs", .null), .init("finish_reason", .string(request.finishReason))])
            }
        }
        return envelope(choices, usage: usage(completionTokens: completionTokens))
    }

    private func toolCallValue(_ call: SimulatedRequest.ToolCall, arguments: String, header: Bool) -> JSONValue {
        var entries: [JSONValue.Entry] = [.init("index", .number("0"))]
        if header {
            entries += [.init("id", .string(call.id)), .init("type", .string("function"))]
        }
        var function: [JSONValue.Entry] = []
        if header { function.append(.init("name", .string(call.name))) }
        function.append(.init("arguments", .string(arguments)))
        entries.append(.init("function", .map(function)))
        return .map(entries)
    }

    /// The first chunk of a chat stream for one choice: the role (and a tool call's header).
    func roleChunk(choice: Int) -> JSONValue {
        var delta: [JSONValue.Entry] = [.init("role", .string("assistant"))]
        if let call = request.toolCall {
            delta.append(.init("content", .null))
            delta.append(.init("tool_calls", .list([toolCallValue(call, arguments: "", header: true)])))
        } else {
            delta.append(.init("content", .string("")))
        }
        return envelope([choiceDelta(choice, delta: .map(delta), finish: nil)])
    }

    /// One piece of text (or of a tool call's arguments) for one choice.
    func contentChunk(choice: Int, piece: String) -> JSONValue {
        switch request.kind {
        case .chat:
            let delta: JSONValue = if let call = request.toolCall {
                .map([.init("tool_calls", .list([toolCallValue(call, arguments: piece, header: false)]))])
            } else {
                .map([.init("content", .string(piece))])
            }
            return envelope([choiceDelta(choice, delta: delta, finish: nil, logprobs: request.toolCall == nil ? logprobs([piece]) : .null)])
        case .completion:
            return envelope([.map([.init("index", .number(String(choice))), .init("text", .string(piece)),
                                   .init("logprobs", .null), .init("finish_reason", .null)])])
        }
    }

    func finishChunk(choice: Int) -> JSONValue {
        switch request.kind {
        case .chat:
            return envelope([choiceDelta(choice, delta: .map([]), finish: request.finishReason)])
        case .completion:
            return envelope([.map([.init("index", .number(String(choice))), .init("text", .string("")),
                                   .init("logprobs", .null), .init("finish_reason", .string(request.finishReason))])])
        }
    }

    func usageChunk(completionTokens: Int) -> JSONValue {
        envelope([], usage: usage(completionTokens: completionTokens))
    }

    private func choiceDelta(_ index: Int, delta: JSONValue, finish: String?, logprobs: JSONValue = .null) -> JSONValue {
        .map([.init("index", .number(String(index))), .init("delta", delta), .init("logprobs", logprobs),
              .init("finish_reason", finish.map(JSONValue.string) ?? .null)])
    }

    /// What each choice streams: its tokens, or its tool call's arguments in fragments of 8 characters.
    func pieces(choice: Int) -> [String] {
        if let call = request.toolCall {
            var fragments: [String] = []
            var rest = Substring(call.arguments)
            while !rest.isEmpty {
                fragments.append(String(rest.prefix(8)))
                rest = rest.dropFirst(8)
            }
            return fragments
        }
        return request.outputs[choice]
    }
}
