import Foundation
import LumenJinja
import Testing

/// Each kind of failure, and the bounds that stop runaway templates.
struct TemplateErrorTests {
    @Test func syntaxErrorNamesLineAndColumn() {
        let source = "line one\n{% for x in xs %}\n  {{ x }}\n{% endif %}"
        #expect(throws: TemplateError.self) { try ChatTemplateRenderer(source: source) }
        do {
            _ = try ChatTemplateRenderer(source: source)
        } catch {
            #expect(error.kind == .syntax)
            #expect(error.line == 4)
            #expect(error.column == 4)
            #expect(error.description == "chat template line 4, column 4: unexpected 'endif'; the innermost open block is 'for'")
        }
    }

    @Test func unclosedBlockNamesTheMissingTag() {
        do {
            _ = try ChatTemplateRenderer(source: "{% if x %}\nabc")
            Issue.record("expected a syntax error")
        } catch {
            #expect(error.kind == .syntax)
            #expect(error.message.contains("'endif'"))
            #expect(error.line == 2)
        }
    }

    @Test func syntaxErrorsAreFoundAtCompileTime() {
        for source in ["{{ x | nosuchfilter }}", "{% frobnicate %}", "{{ 'abc }}", "{{ (1 }}", "{% break %}", "{{ }}"] {
            do {
                _ = try ChatTemplateRenderer(source: source)
                Issue.record("\(source) compiled")
            } catch {
                #expect(error.kind == .syntax, "\(source): \(error)")
                #expect(error.line == 1)
            }
        }
    }

    @Test func raiseExceptionCarriesTheMessage() {
        let error = renderError(
            "{% for m in messages %}\n{% if m.role == 'system' %}\n{{ raise_exception('System role not supported') }}\n{% endif %}\n{% endfor %}",
            ["messages": [["role": "system", "content": "x"]]])
        #expect(error?.kind == .raised)
        #expect(error?.message == "System role not supported")
        #expect(error?.line == 3)
        #expect(error?.description.hasPrefix("chat template line 3, column ") == true)
    }

    @Test func runtimeErrorNamesTheLine() {
        let error = renderError("a\nb {{ 1 / 0 }}")
        #expect(error?.kind == .runtime)
        #expect(error?.message == "division by zero")
        #expect(error?.line == 2)
    }

    @Test func undefinedUsedAsAnObjectFails() {
        let error = renderError("{{ messages[0].content }}")
        #expect(error?.kind == .runtime)
        #expect(error?.message == "'messages' is undefined")
    }

    @Test func endlessLoopIsStopped() {
        let started = Date()
        let error = renderError("{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}")
        #expect(error?.kind == .limitExceeded)
        #expect(error?.message.contains("steps") == true)
        #expect(Date().timeIntervalSince(started) < 60)
    }

    @Test func hugeRangeIsRefusedAtOnce() {
        let error = renderError("{% for i in range(10**9) %}{{ i }}{% endfor %}")
        #expect(error?.kind == .limitExceeded)
        #expect(error?.message.contains("MAX_RANGE") == true)
    }

    @Test func stepLimitIsConfigurable() {
        let limits = RenderLimits(maxSteps: 50)
        #expect(renderError("{% for i in range(100) %}{{ i }}{% endfor %}", limits: limits)?.kind == .limitExceeded)
        #expect(renderError("{% for i in range(10) %}{{ i }}{% endfor %}", limits: limits) == nil)
    }

    @Test func endlessRecursionIsStopped() {
        let error = renderError("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}")
        #expect(error?.kind == .limitExceeded)
        #expect(error?.message.contains("nested deeper than 64") == true)
    }

    @Test func outputIsCapped() {
        let error = renderError("{% for i in range(100000) %}{{ 'x' * 1000 }}{% endfor %}")
        #expect(error?.kind == .limitExceeded)
        #expect(error?.message.contains("16777216 bytes") == true)
    }

    @Test func hugeValuesAreRefusedBeforeTheyAreBuilt() {
        #expect(renderError("{% set s = 'x' * 10**12 %}")?.kind == .limitExceeded)
        #expect(renderError("{% set l = ([1] * 100000) * 100000 %}")?.kind == .limitExceeded)
        #expect(renderError("{% set s = 'ab' | indent(10**12) %}")?.kind == .limitExceeded)
    }

    @Test func integerOverflowIsAnErrorNotATrap() throws {
        for source in ["{{ 2 ** 64 }}", "{{ 9223372036854775807 + 1 }}", "{{ (-9223372036854775807 - 1) // -1 }}",
                       "{{ -(-9223372036854775807 - 1) }}", "{{ 9223372036854775807 * 2 }}", "{{ (-9223372036854775807 - 1) | abs }}"]
        {
            #expect(renderError(source)?.kind == .runtime, "\(source)")
        }
        #expect(throws: TemplateError.self) { try ChatTemplateRenderer(source: "{{ 99999999999999999999 }}") }
        #expect(try render("{{ [1, 2, 3][1::9223372036854775807] }}{{ [1, 2, 3][::-9223372036854775807 - 1] }}") == "[2][3]")
        #expect(try render("{{ range(9223372036854775806, 9223372036854775807) | list }}") == "[9223372036854775806]")
    }

    @Test func deeplyNestedSourceIsRefused() {
        for source in ["{{ " + String(repeating: "(", count: 5000) + "1" + String(repeating: ")", count: 5000) + " }}",
                       "{{ " + String(repeating: "[", count: 5000) + String(repeating: "]", count: 5000) + " }}",
                       "{{ " + String(repeating: "not ", count: 5000) + "x }}",
                       "{{ " + String(repeating: "-", count: 5000) + "1 }}",
                       String(repeating: "{% if x %}", count: 2000) + String(repeating: "{% endif %}", count: 2000),
                       "{{ 1" + String(repeating: " + 1", count: 5000) + " }}",
                       "{{ x" + String(repeating: " | trim", count: 5000) + " }}",
                       "{{ x" + String(repeating: ".a", count: 5000) + " }}",
                       "{{ x" + String(repeating: " and x", count: 5000) + " }}",
                       "{{ x" + String(repeating: "()", count: 5000) + " }}"]
        {
            do {
                _ = try ChatTemplateRenderer(source: source)
                Issue.record("nesting accepted")
            } catch {
                #expect(error.kind == .syntax)
                #expect(error.message.contains("nested too deeply"))
            }
        }
    }

    @Test func deepExpressionsInsideDeepRecursionAreStopped() {
        let deep = "0" + String(repeating: " + 1", count: 120)
        let source = "{% macro f(n) %}{{ (f(n - 1) if n > 0 else 0) + " + deep + " }}{% endmacro %}{{ f(60) }}"
        #expect(renderError(source)?.kind == .limitExceeded)
    }

    @Test func nestingJustUnderTheLimitsRenders() throws {
        #expect(try render("{{ 0" + String(repeating: " + 1", count: 120) + " }}") == "120")
        #expect(try render("{{ " + String(repeating: "(", count: 40) + "7" + String(repeating: ")", count: 40) + " }}") == "7")
        let macro = "{% macro f(n) %}{% if n > 0 %}{{ f(n - 1) }}{% else %}done{% endif %}{% endmacro %}{{ f(60) }}"
        #expect(try render(macro) == "done")
    }

    @Test func deeplyNestedContextIsRefused() {
        var value: TemplateValue = "leaf"
        for _ in 0..<300 { value = [value] }
        #expect(renderError("{{ v | tojson }}", ["v": value])?.kind == .limitExceeded)
        let json = String(repeating: "[", count: 300) + String(repeating: "]", count: 300)
        #expect(throws: TemplateJSONError.self) { try TemplateValue(json: json) }
    }

    @Test func valuesCannotNestWithoutBound() {
        let wrapping = "{% set ns = namespace(x=[]) %}{% for i in range(100000) %}{% set ns.x = [ns.x] %}{% endfor %}{{ ns.x }}"
        #expect(renderError(wrapping)?.kind == .limitExceeded)
        let chaining = "{% set h = namespace(n=none) %}{% for i in range(100000) %}{% set t = namespace() %}{% set t.prev = h.n %}{% set h.n = t %}{% endfor %}"
        #expect(renderError(chaining)?.kind == .limitExceeded)
        let dicts = "{% set ns = namespace(x={}) %}{% for i in range(100000) %}{% set ns.x = dict(a=ns.x) %}{% endfor %}"
        #expect(renderError(dicts)?.kind == .limitExceeded)
    }

    @Test func namespaceCyclesPrintAndEnd() throws {
        #expect(try render("{% set ns = namespace() %}{% set ns.self = ns %}{{ ns }}") == "<Namespace {'self': <Namespace {...}>}>")
    }

    /// Cutting a real template anywhere must give a clean error or output, never a crash.
    @Test func truncatedTemplatesFailCleanly() throws {
        let source = try Fixtures.templateSource("qwen3.jinja")
        let context: [String: TemplateValue] = [
            "messages": [["role": "user", "content": "hi"], ["role": "assistant", "content": "<think>a</think>b"]],
            "add_generation_prompt": true,
        ]
        let scalars = Array(source.unicodeScalars)
        for cut in stride(from: 0, to: scalars.count, by: 7) {
            let truncated = String(String.UnicodeScalarView(scalars[..<cut]))
            if let renderer = try? ChatTemplateRenderer(source: truncated) {
                _ = try? renderer.render(context)
            }
        }
    }
}
