public import Foundation

extension ChatTemplateRenderer {
    /// Renders a chat prompt with the variables transformers' `apply_chat_template` passes:
    /// `messages`, `tools` (none when absent, so `tools is not none` works), `documents`
    /// (none), `add_generation_prompt`, the special tokens, and any extra variables
    /// (e.g. `enable_thinking`, `date_string`), which may override the others.
    ///
    /// - Parameters:
    ///   - messages: each an object with `role` and `content`, and where they apply
    ///     `tool_calls`, `name`, `tool_call_id`, `reasoning_content`.
    ///   - tools: JSON schemas, as in OpenAI's `tools` field.
    public func renderChat(
        messages: [TemplateValue],
        tools: [TemplateValue]? = nil,
        addGenerationPrompt: Bool,
        bosToken: String = "",
        eosToken: String = "",
        extraVariables: [String: TemplateValue] = [:],
        now: Date = Date(),
        timeZone: TimeZone = .current
    ) throws(TemplateError) -> String {
        var context: [String: TemplateValue] = [
            "messages": .array(messages),
            "tools": tools.map { .array($0) } ?? .none,
            "documents": .none,
            "add_generation_prompt": .bool(addGenerationPrompt),
            "bos_token": .string(bosToken),
            "eos_token": .string(eosToken),
        ]
        context.merge(extraVariables) { _, extra in extra }
        return try render(context, now: now, timeZone: timeZone)
    }
}
