import Foundation
import LumenJinja
import Testing

/// `renderChat` must build the variables transformers' `apply_chat_template` builds: the
/// fixtures were rendered that way, so rendering them through `renderChat` must match.
struct ChatRenderingTests {
    @Test("renderChat builds the context transformers builds", arguments: try Fixtures.chatCases())
    func renderChatMatchesFixture(_ fixture: FixtureCase) throws {
        guard case .output(let expected) = fixture.outcome else { return }
        var extra = fixture.context
        guard case .array(let messages)? = extra.removeValue(forKey: "messages"),
            case .bool(let addGenerationPrompt)? = extra.removeValue(forKey: "add_generation_prompt")
        else {
            Issue.record("fixture without messages")
            return
        }
        var tools: [TemplateValue]?
        if case .array(let list)? = extra.removeValue(forKey: "tools") { tools = list }
        extra.removeValue(forKey: "documents")
        var bosToken = ""
        if case .string(let token)? = extra.removeValue(forKey: "bos_token") { bosToken = token }
        var eosToken = ""
        if case .string(let token)? = extra.removeValue(forKey: "eos_token") { eosToken = token }
        let renderer = try ChatTemplateRenderer(source: fixture.source)
        let output = try renderer.renderChat(
            messages: messages, tools: tools, addGenerationPrompt: addGenerationPrompt, bosToken: bosToken,
            eosToken: eosToken, extraVariables: extra, now: Fixtures.now, timeZone: Fixtures.utc)
        #expect(output == expected)
    }

    @Test func smolLM2AddsItsDefaultSystemMessage() throws {
        let renderer = try ChatTemplateRenderer(source: try Fixtures.templateSource("smollm2.jinja"))
        let output = try renderer.renderChat(messages: [["role": "user", "content": "Hello"]], addGenerationPrompt: true)
        #expect(output == """
            <|im_start|>system
            You are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>
            <|im_start|>user
            Hello<|im_end|>
            <|im_start|>assistant

            """)
    }

    @Test func llamaPrintsTheInjectedDate() throws {
        let renderer = try ChatTemplateRenderer(source: try Fixtures.templateSource("llama-3.2.jinja"))
        let output = try renderer.renderChat(
            messages: [["role": "user", "content": "Hi"]], addGenerationPrompt: true, bosToken: "<|begin_of_text|>",
            now: Fixtures.now, timeZone: Fixtures.utc)
        #expect(output.contains("Today Date: 26 Jul 2024\n"))
    }

    @Test func oneRendererServesConcurrentRequests() async throws {
        let renderer = try ChatTemplateRenderer(source: try Fixtures.templateSource("qwen3.jinja"))
        let outputs = try await withThrowingTaskGroup(of: String.self) { group in
            for index in 0..<8 {
                group.addTask {
                    try renderer.renderChat(messages: [["role": "user", "content": .string("question \(index)")]],
                                            addGenerationPrompt: true)
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(Set(outputs).count == 8)
    }
}
