import LumenJinja
import Testing

/// Python `str` and `dict` methods; each expected string is what jinja2 renders.
struct MethodTests {
    @Test func strip() throws {
        #expect(try render("[{{ '  x '.strip() }}][{{ 'xxhixx'.strip('x') }}][{{ '  x '.lstrip() }}][{{ '  x '.rstrip() }}]")
            == "[x][hi][x ][  x]")
    }

    @Test func split() throws {
        #expect(try render("{{ 'a b  c'.split() }}{{ 'a,b,c'.split(',') }}{{ 'a,b,c'.split(',', 1) }}")
            == "['a', 'b', 'c']['a', 'b', 'c']['a', 'b,c']")
    }

    @Test func prefixesAndCase() throws {
        #expect(try render("{{ 'hello'.startswith('he') }}{{ 'hello'.endswith('lo') }}{{ 'Hi'.upper() }}{{ 'Hi'.lower() }}")
            == "TrueTrueHIhi")
        #expect(try render("{{ 'hello world'.title() }}{{ 'hELLO'.capitalize() }}{{ 'aXa'.replace('a', 'b') }}{{ 'hello'.find('l') }}")
            == "Hello WorldHellobXb2")
    }

    @Test func formatAndJoin() throws {
        #expect(try render("{{ '{} + {}'.format(1, 2) }}{{ '-'.join(['a', 'b']) }}") == "1 + 2a-b")
    }

    @Test func dictMethods() throws {
        #expect(try render(
            "{{ d.items() | list }}{{ d.keys() | list }}{{ d.values() | list }}{{ d.get('a') }}{{ d.get('z', 0) }}",
            ["d": ["a": 1, "b": 2]]) == "[('a', 1), ('b', 2)]['a', 'b'][1, 2]10")
    }

    @Test func mutatingMethodsAreRefusedAsInTheSandbox() {
        let error = renderError("{% set xs = [] %}{{ xs.append(1) }}")
        #expect(error?.kind == .runtime)
        #expect(error?.message.contains("unsafe") == true)
    }
}
