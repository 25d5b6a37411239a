import LumenJinja
import Testing

/// trim_blocks and lstrip_blocks are on, as in transformers. Expected strings are jinja2's.
struct WhitespaceControlTests {
    @Test func blockLinesLeaveNoBlankLines() throws {
        #expect(try render("{% for m in ['a', 'b'] %}\n  {{ m }}\n{% endfor %}") == "  a\n  b\n")
    }

    @Test func minusStripsAcrossLines() throws {
        #expect(try render("<s>\n    {%- if true %}\n        x\n    {%- endif %}\n</s>") == "<s>        x</s>")
        #expect(try render("{%- set x = 1 -%}\n\n  [{{ x }}]  \n") == "[1]  ")
        #expect(try render("  {{- 'x' }}  ") == "x  ")
    }

    @Test func commentsAreTrimmedLikeBlocks() throws {
        #expect(try render("a\n{# note #}\nb") == "a\nb")
    }

    @Test func oneTrailingNewlineIsDropped() throws {
        #expect(try render("x\n") == "x")
        #expect(try render("x\n\n") == "x\n")
    }
}
