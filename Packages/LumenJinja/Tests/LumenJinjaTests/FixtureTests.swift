import Foundation
import LumenJinja
import Testing

/// Every expectation here was rendered by Python's jinja2 configured as transformers
/// configures it (see scripts/chat-template-expected.py); the output must match byte for byte.
struct FixtureTests {
    @Test("Real chat templates render as transformers renders them", arguments: try Fixtures.chatCases())
    func chatTemplate(_ fixture: FixtureCase) {
        check(fixture)
    }

    @Test("Small templates render as jinja2 renders them", arguments: try Fixtures.inlineCases())
    func inlineTemplate(_ fixture: FixtureCase) {
        check(fixture)
    }

    @Test func fixturesArePresent() throws {
        #expect(try Fixtures.chatCases().count >= 7 * 10)
        #expect(try Fixtures.inlineCases().count >= 100)
    }

    private func check(_ fixture: FixtureCase) {
        let renderer: ChatTemplateRenderer
        do {
            renderer = try ChatTemplateRenderer(source: fixture.source)
        } catch {
            guard case .error(let kind, _) = fixture.outcome, kind == "syntax" else {
                Issue.record("unexpected compile error: \(error)")
                return
            }
            #expect(error.kind == .syntax)
            return
        }
        do {
            let output = try renderer.render(fixture.context, now: Fixtures.now, timeZone: Fixtures.utc)
            switch fixture.outcome {
            case .output(let expected):
                #expect(output == expected)
            case .error(let kind, let message):
                Issue.record("expected a \(kind) error (\(message)), rendered \(output.debugDescription)")
            }
        } catch {
            switch fixture.outcome {
            case .output(let expected):
                Issue.record("unexpected error: \(error); expected \(expected.debugDescription)")
            case .error(let kind, let message):
                switch kind {
                case "raised":
                    #expect(error.kind == .raised)
                    #expect(error.message == message)
                case "runtime":
                    #expect(error.kind == .runtime || error.kind == .limitExceeded, "\(error)")
                default:
                    Issue.record("expected a \(kind) error at compile time (\(message)); got at render: \(error)")
                }
            }
        }
    }
}
