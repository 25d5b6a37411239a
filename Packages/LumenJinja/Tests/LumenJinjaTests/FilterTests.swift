import LumenJinja
import Testing

/// One check per filter; each expected string is what jinja2 renders.
struct FilterTests {
    @Test func trim() throws {
        #expect(try render("{{ '  hi  ' | trim }}") == "hi")
    }

    @Test func tojsonKeepsKeyOrderAndUnicode() throws {
        #expect(try render("{{ {'b': 1, 'a': 'é'} | tojson }}") == #"{"b": 1, "a": "é"}"#)
        #expect(try render("{{ {'a': [1, 2]} | tojson(indent=2) }}") == "{\n  \"a\": [\n    1,\n    2\n  ]\n}")
    }

    @Test func tojsonOfContextKeepsRequestOrder() throws {
        let tool = try TemplateValue(json: #"{"z": {"y": 1, "x": [true, null, 1.5]}, "a": "b"}"#)
        #expect(try render("{{ t | tojson }}", ["t": tool]) == #"{"z": {"y": 1, "x": [true, null, 1.5]}, "a": "b"}"#)
    }

    @Test func lengthAndCount() throws {
        #expect(try render("{{ [1, 2, 3] | length }}{{ 'abc' | count }}") == "33")
    }

    @Test func caseFilters() throws {
        #expect(try render("{{ 'Hello' | upper }} {{ 'Hello' | lower }} {{ 'hello world' | title }} {{ 'hELLO' | capitalize }}")
            == "HELLO hello Hello World Hello")
    }

    @Test func replaceJoinFirstLast() throws {
        #expect(try render("{{ 'a-b' | replace('-', '+') }}") == "a+b")
        #expect(try render("{{ ['x', 'y'] | join(', ') }}") == "x, y")
        #expect(try render("{{ [4, 5] | first }}{{ [4, 5] | last }}") == "45")
    }

    @Test func conversions() throws {
        #expect(try render("{{ 'ab' | list }}{{ 7 | string }}{{ '42' | int + 1 }}{{ '2.5' | float }}") == "['a', 'b']7432.5")
    }

    @Test func defaultAndItems() throws {
        #expect(try render("{{ missing | default('fallback') }}") == "fallback")
        #expect(try render("{% for k, v in {'a': 1, 'b': 2} | items %}{{ k }}{{ v }}{% endfor %}") == "a1b2")
    }

    @Test func mapSelectReject() throws {
        let users: TemplateValue = [["name": "ann", "admin": true], ["name": "bob"]]
        #expect(try render("{{ users | map(attribute='name') | join(' ') }}", ["users": users]) == "ann bob")
        #expect(try render(
            "{{ users | selectattr('admin') | map(attribute='name') | list }}{{ users | rejectattr('admin') | map(attribute='name') | list }}",
            ["users": users]) == "['ann']['bob']")
        #expect(try render("{{ [1, 2, 3, 4] | select('odd') | list }}{{ [1, 2, 3, 4] | reject('odd') | list }}")
            == "[1, 3][2, 4]")
    }

    @Test func uniqueSortReverse() throws {
        #expect(try render("{{ ['a', 'A', 'b'] | unique | list }}{{ [3, 1, 2] | sort | list }}{{ [1, 2] | reverse | list }}")
            == "['a', 'b'][1, 2, 3][2, 1]")
    }

    @Test func safeIndentEscape() throws {
        #expect(try render("{{ '<b>' | safe }}{{ 'a\nb' | indent(2) }}{{ '<&>' | escape }}") == "<b>a\n  b&lt;&amp;&gt;")
    }

    @Test func roundAbsDictsort() throws {
        #expect(try render("{{ 2.567 | round(1) }}{{ -4 | abs }}{{ {'b': 1, 'a': 2} | dictsort }}") == "2.64[('a', 2), ('b', 1)]")
    }
}
