/// The chat formats lumen-engine renders, chosen from a model's `tokenizer.chat_template` by its
/// markers (a full Jinja engine is not needed for these families), or named with `--chat-template`.
public enum ChatTemplate: String, CaseIterable, Sendable {
    case llama3, chatml, mistral

    /// The family a template string belongs to, if it is one of these.
    public static func detect(_ template: String) -> ChatTemplate? {
        if template.contains("<|start_header_id|>") { return .llama3 }
        if template.contains("<|im_start|>") { return .chatml }
        if template.contains("[INST]") { return .mistral }
        return nil
    }

    /// The prompt for `messages` (role, text), after the BOS token the tokenizer adds. With
    /// `continueFinal`, a last assistant message is left open for the model to continue;
    /// otherwise the text ends where the assistant's answer starts.
    public func render(_ messages: [(role: String, content: String)], continueFinal: Bool, endOfSequence: String) -> String {
        let last = messages.count - 1
        let open = continueFinal && messages.last?.role == "assistant"
        var text = ""
        switch self {
        case .llama3:
            for (index, message) in messages.enumerated() {
                text += "<|start_header_id|>\(message.role)<|end_header_id|>\n\n\(message.content)"
                if !(open && index == last) { text += "<|eot_id|>" }
            }
            if !open { text += "<|start_header_id|>assistant<|end_header_id|>\n\n" }
        case .chatml:
            for (index, message) in messages.enumerated() {
                text += "<|im_start|>\(message.role)\n\(message.content)"
                if !(open && index == last) { text += "<|im_end|>\n" }
            }
            if !open { text += "<|im_start|>assistant\n" }
        case .mistral:
            // No system role: a system message goes in front of the first user message.
            var system = ""
            for (index, message) in messages.enumerated() {
                switch message.role {
                case "system": system += message.content + "\n\n"
                case "assistant": text += message.content + (open && index == last ? "" : endOfSequence)
                default:
                    text += "[INST] \(system)\(message.content) [/INST]"
                    system = ""
                }
            }
        }
        return text
    }
}
