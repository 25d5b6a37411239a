#!/usr/bin/env python3
"""Writes the expected outputs that LumenJinja's tests compare against, rendered by the real
jinja2 exactly as Hugging Face transformers renders chat templates.

    pip install jinja2        # 3.1.6 or later, as transformers requires
    python3 scripts/chat-template-expected.py

It reads the templates in Tests/LumenJinjaTests/Fixtures/templates/*.jinja and writes
    Tests/LumenJinjaTests/Fixtures/chat-template-cases.json   every template x conversation
    Tests/LumenJinjaTests/Fixtures/inline-cases.json          small templates: filters, tests, ...
Each case holds the template (or its file name), the context, and either "expected" (the
rendered text) or "error" ({"kind": "syntax" | "raised" | "runtime", "type", "message"}).

The environment copies transformers' `_cached_compile_jinja_template`
(transformers/utils/chat_template_utils.py, checked against transformers 5.25.0), with
`strftime_now` reading a fixed date so outputs are reproducible.
"""

import json
import pathlib
import sys
from datetime import datetime

import jinja2
import jinja2.ext
from jinja2.ext import Extension
from jinja2.sandbox import ImmutableSandboxedEnvironment

ROOT = pathlib.Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "Tests" / "LumenJinjaTests" / "Fixtures"
TEMPLATES = FIXTURES / "templates"

# What `strftime_now` reads; the Swift tests pass the same instant (UTC).
FIXED_NOW = datetime(2024, 7, 26, 14, 5, 9)


class AssistantTracker(Extension):
    """transformers' `{% generation %}` tag: renders its body unchanged."""

    tags = {"generation"}

    def parse(self, parser):
        lineno = next(parser.stream).lineno
        body = parser.parse_statements(["name:endgeneration"], drop_needle=True)
        return jinja2.nodes.CallBlock(self.call_method("_generation_support"), [], [], body).set_lineno(lineno)

    def _generation_support(self, caller):
        return caller()


def raise_exception(message):
    raise jinja2.exceptions.TemplateError(message)


def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)


def strftime_now(format):
    return FIXED_NOW.strftime(format)


class TemplateDict:
    def __call__(self, *args, **kwargs):
        return dict(*args, **kwargs)

    def fromkeys(self, *args, **kwargs):
        return dict.fromkeys(*args, **kwargs)


class TemplateNamespace(jinja2.utils.Namespace):
    def __init__(*args, **kwargs):
        self, args = args[0], args[1:]
        attrs = dict(*args, **kwargs)
        for name in attrs:
            TemplateNamespace._check_name(name)
        jinja2.utils.Namespace.__init__(self, attrs)

    def __setitem__(self, name, value):
        TemplateNamespace._check_name(name)
        jinja2.utils.Namespace.__setitem__(self, name, value)

    @staticmethod
    def _check_name(name):
        if isinstance(name, str) and name.startswith("_"):
            raise jinja2.exceptions.SecurityError(
                f"Chat templates cannot store underscore-prefixed attributes on a namespace, but got {name!r}. "
                "Please rename the attribute."
            )


def make_environment():
    env = ImmutableSandboxedEnvironment(
        trim_blocks=True, lstrip_blocks=True, extensions=[AssistantTracker, jinja2.ext.loopcontrols]
    )
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = strftime_now
    env.globals["dict"] = TemplateDict()
    env.globals["namespace"] = TemplateNamespace
    return env


ENV = make_environment()


def render(source, context):
    """The rendered text, or a description of the error jinja2 raised."""
    try:
        template = ENV.from_string(source)
    except (jinja2.exceptions.TemplateSyntaxError, jinja2.exceptions.TemplateAssertionError, SyntaxError) as error:
        return {"error": {"kind": "syntax", "type": type(error).__name__, "message": str(error)}}
    try:
        return {"expected": template.render(**context)}
    except Exception as error:  # noqa: BLE001 - every failure is an expected outcome to record
        kind = "raised" if type(error) is jinja2.exceptions.TemplateError else "runtime"
        return {"error": {"kind": kind, "type": type(error).__name__, "message": str(error)}}


# --- Conversations -----------------------------------------------------------------------

WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_current_weather",
        "description": "Get the current weather in a given location — température incluse",
        "parameters": {
            "type": "object",
            "properties": {
                "location": {"type": "string", "description": "The city and country, e.g. \"Paris, France\""},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
                "days": {"type": "integer", "minimum": 1, "maximum": 7.5},
            },
            "required": ["location"],
        },
    },
}
TIME_TOOL = {
    "type": "function",
    "function": {
        "name": "get_time",
        "description": "Current time in a time zone",
        "parameters": {"type": "object", "properties": {"zone": {"type": "string"}}, "required": []},
        "return": {"type": "string"},
    },
}

TOOL_CALL = {
    "id": "call12345",
    "type": "function",
    "function": {"name": "get_current_weather", "arguments": {"location": "Paris, France", "unit": "celsius"}},
}
TOOL_RESULT = {
    "role": "tool",
    "tool_call_id": "call12345",
    "name": "get_current_weather",
    "content": '{"temperature": 22, "condition": "sunny"}',
}

CONVERSATIONS = {
    "user-only": {
        "messages": [{"role": "user", "content": "Hello! How are you?"}],
        "add_generation_prompt": True,
    },
    "with-system": {
        "messages": [
            {"role": "system", "content": "You are a terse assistant."},
            {"role": "user", "content": "What is the capital of France?"},
        ],
        "add_generation_prompt": True,
    },
    "multi-turn": {
        "messages": [
            {"role": "user", "content": "Hi there"},
            {"role": "assistant", "content": "Hello! How can I help?"},
            {"role": "user", "content": "  What is 2+2?  "},
        ],
        "add_generation_prompt": True,
    },
    "multi-turn-no-generation-prompt": {
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Name a colour."},
            {"role": "assistant", "content": "Blue."},
        ],
        "add_generation_prompt": False,
    },
    "special-characters": {
        "messages": [
            {"role": "user", "content": "Quotes \"double\" and 'single', a back\\slash,\n\ttabs, ünïcödé, 日本語, emoji 🎉 and <|im_end|>"},
        ],
        "add_generation_prompt": True,
    },
    "tool-call-and-result": {
        "messages": [
            {"role": "user", "content": "What's the weather in Paris?"},
            {"role": "assistant", "content": "", "tool_calls": [TOOL_CALL]},
            TOOL_RESULT,
            {"role": "assistant", "content": "It is 22 °C and sunny in Paris."},
        ],
        "tools": [WEATHER_TOOL, TIME_TOOL],
        "add_generation_prompt": False,
    },
    "tool-result-pending-answer": {
        "messages": [
            {"role": "system", "content": "You can call tools."},
            {"role": "user", "content": "Weather in Paris, please."},
            {"role": "assistant", "content": "Let me check.", "tool_calls": [TOOL_CALL]},
            TOOL_RESULT,
        ],
        "tools": [WEATHER_TOOL],
        "add_generation_prompt": True,
    },
    "tools-offered-no-call": {
        "messages": [{"role": "user", "content": "Tell me a joke."}],
        "tools": [WEATHER_TOOL, TIME_TOOL],
        "add_generation_prompt": True,
    },
    "tool-call-string-arguments": {
        "messages": [
            {"role": "user", "content": "Time in Tokyo?"},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {"id": "call98765", "type": "function",
                     "function": {"name": "get_time", "arguments": "{\"zone\": \"Asia/Tokyo\"}"}}
                ],
            },
        ],
        "tools": [TIME_TOOL],
        "add_generation_prompt": False,
    },
    "thinking": {
        "messages": [
            {"role": "user", "content": "Hi"},
            {"role": "assistant", "content": "<think>\nThe user greets me.\n</think>\n\nHello!"},
            {"role": "user", "content": "And 3*7?"},
            {"role": "assistant", "content": "<think>\n3*7 is 21.\n</think>\n\n21."},
        ],
        "add_generation_prompt": False,
    },
    "thinking-disabled": {
        "messages": [{"role": "user", "content": "Quick: 1+1?"}],
        "add_generation_prompt": True,
        "enable_thinking": False,
    },
    "reasoning-content-field": {
        "messages": [
            {"role": "user", "content": "Why is the sky blue?"},
            {"role": "assistant", "content": "Rayleigh scattering.", "reasoning_content": "Short wavelengths scatter more."},
        ],
        "add_generation_prompt": False,
    },
    "roles-not-alternating": {
        "messages": [
            {"role": "user", "content": "First"},
            {"role": "user", "content": "Second"},
        ],
        "add_generation_prompt": True,
    },
    "date-string-given": {
        "messages": [{"role": "user", "content": "What day is it?"}],
        "add_generation_prompt": True,
        "date_string": "01 Jan 2030",
    },
    "builtin-tools": {
        "messages": [
            {"role": "system", "content": "Answer with sources."},
            {"role": "user", "content": "Who won the 2022 World Cup?"},
            {"role": "assistant", "content": "", "tool_calls": [
                {"id": "call55555", "type": "function",
                 "function": {"name": "brave_search", "arguments": {"query": "2022 World Cup winner"}}}
            ]},
            {"role": "ipython", "content": "Argentina won the 2022 FIFA World Cup."},
        ],
        "add_generation_prompt": True,
        "builtin_tools": ["brave_search", "wolfram_alpha", "code_interpreter"],
    },
    "no-messages": {
        "messages": [],
        "add_generation_prompt": True,
    },
    "content-parts": {
        "messages": [
            {"role": "system", "content": [{"type": "text", "text": "Parts system."}]},
            {"role": "user", "content": [{"type": "text", "text": " Describe "}, {"type": "image"}, {"type": "text", "text": "this."}]},
        ],
        "add_generation_prompt": True,
    },
}

SPECIAL_TOKENS = {
    "smollm2.jinja": {"bos_token": "<|im_start|>", "eos_token": "<|im_end|>"},
    "qwen2.5.jinja": {"bos_token": None, "eos_token": "<|im_end|>"},
    "qwen3.jinja": {"bos_token": None, "eos_token": "<|im_end|>"},
    "llama-3.1.jinja": {"bos_token": "<|begin_of_text|>", "eos_token": "<|eot_id|>"},
    "llama-3.2.jinja": {"bos_token": "<|begin_of_text|>", "eos_token": "<|eot_id|>"},
    "mistral-v0.3.jinja": {"bos_token": "<s>", "eos_token": "</s>"},
    "gemma-2.jinja": {"bos_token": "<bos>", "eos_token": "<eos>"},
    "gemma-3.jinja": {"bos_token": "<bos>", "eos_token": "<eos>"},
}


def chat_context(template_name, conversation):
    """The variables transformers passes: messages, tools, documents, add_generation_prompt,
    the special tokens, and extra keyword arguments."""
    context = {"messages": conversation["messages"], "tools": conversation.get("tools"), "documents": None}
    context["add_generation_prompt"] = conversation["add_generation_prompt"]
    tokens = SPECIAL_TOKENS.get(template_name, {"bos_token": "<s>", "eos_token": "</s>"})
    context.update({key: value for key, value in tokens.items() if value is not None})
    for key, value in conversation.items():
        if key not in ("messages", "tools", "add_generation_prompt"):
            context[key] = value
    return context


# --- Small templates ---------------------------------------------------------------------

ITEMS = [{"name": "b", "n": 2, "on": True}, {"name": "A", "n": 1, "on": False}, {"name": "c", "n": 3}]

# (name, template, context)
INLINE = [
    # Text and whitespace control.
    ("plain text", "Hello, world", {}),
    ("trailing newline dropped", "line\n", {}),
    ("only one trailing newline dropped", "line\n\n", {}),
    ("crlf normalized", "a\r\nb\rc", {}),
    ("output", "a{{ x }}b", {"x": "X"}),
    ("comment", "a{# gone #}b", {}),
    ("comment trim_blocks", "a{# c #}\nb", {}),
    ("comment lstrip_blocks", "a\n    {# c #}\nb", {}),
    ("trim_blocks", "{% if true %}\nx\n{% endif %}\ny", {}),
    ("lstrip_blocks", "a\n    {% if true %}\n    b\n    {% endif %}\nc", {}),
    ("lstrip not after text", "a  {% if true %}b{% endif %}", {}),
    ("lstrip at template start", "   {% if true %}b{% endif %}", {}),
    ("lstrip after trimmed block", "{% if true %}\n   {% if true %}x{% endif %}{% endif %}", {}),
    ("plus disables lstrip", "a\n    {%+ if true %}b{% endif %}", {}),
    ("plus disables trim", "{% if true +%}\nb{% endif %}", {}),
    ("minus trims", "a   {{- 'b' -}}   c  {%- if true -%}  d  {%- endif %}", {}),
    ("minus strips newlines", "a\n\n  {%- if true -%}\n\n  b\n{%- endif %}", {}),
    ("variables keep spaces", "a\n    {{ 'b' }}\n", {}),
    ("variables keep newline", "{{ 'a' }}\n{{ 'b' }}\n", {}),
    ("raw block", "{% raw %}{{ not rendered }}{% endraw %}", {}),
    ("comment minus", "a  {#- c -#}  b", {}),
    # Literals and rendering.
    ("none and bools", "{{ none }} {{ true }} {{ false }} {{ None }} {{ True }}", {}),
    ("numbers", "{{ 1 + 2 }} {{ 7 // 2 }} {{ -7 // 2 }} {{ 7 % 3 }} {{ -7 % 3 }} {{ 2 * 3 - 1 }} {{ -4 }} {{ 1.5 + 1 }}", {}),
    ("division", "{{ 1 / 2 }} {{ 4 / 2 }} {{ 2 ** 10 }} {{ 2 ** -1 }} {{ 2 ** 3 ** 2 }} {{ 7.5 // 2 }} {{ 7.5 % 2 }}", {}),
    ("float repr", "{{ 0.1 + 0.2 }} {{ 1e16 }} {{ 1e15 }} {{ 0.0001 }} {{ 0.00001 }} {{ 1.5e-7 }} {{ 123456789.125 }} {{ -0.0 }} {{ 3.0 }}", {}),
    ("integer literals", "{{ 1_000 }} {{ 0x1F }} {{ 0o17 }} {{ 0b101 }} {{ 1e3 }}", {}),
    ("string escapes", "{{ 'a\\nb\\t\"c\"' }}|{{ \"it's\" }}|{{ '\\x41\\u00e9\\q' }}", {}),
    ("adjacent strings", "{{ 'a' 'b' \"c\" }}", {}),
    ("list repr", "{{ [1, 'a\"b', \"it's\", none, true, 1.0, {'k': [2]}, ('t',), (1, 2)] }}", {}),
    ("string repr escapes", "{{ ['new\\nline', 'back\\\\slash', 'tab\\t', '\\x00', 'é', '\\u200b'] }}", {}),
    ("dict repr", "{{ {'b': 1, 'a': [none]} }}", {}),
    ("context values render", "{{ d }}|{{ l }}|{{ f }}", {"d": {"z": 1, "a": "x"}, "l": [1.5, None, False], "f": 2.0}),
    ("undefined prints nothing", "[{{ missing }}]", {}),
    ("undefined attribute of dict", "[{{ d.nope }}][{{ d['nope'] }}]", {"d": {}}),
    ("none attribute", "[{{ none.x }}]", {}),
    # Operators.
    ("comparisons", "{{ 1 < 2 }}{{ 2 <= 1 }}{{ 'a' == 'a' }}{{ 'a' != 'a' }}{{ 3 > 2 }}{{ 1 >= 1 }}{{ 1 < 2 < 3 }}{{ 3 > 2 > 2 }}", {}),
    ("equality across types", "{{ 1 == 1.0 }}{{ true == 1 }}{{ [1, 2] == [1, 2] }}{{ {'a': 1, 'b': 2} == {'b': 2, 'a': 1} }}{{ none == false }}{{ 'a' == 1 }}", {}),
    ("string ordering", "{{ 'B' < 'a' }}{{ 'abc' < 'abd' }}{{ [1, 2] < [1, 3] }}", {}),
    ("logic", "{{ true and false }}{{ true or false }}{{ not true }}{{ not (1 == 2) }}{{ 0 or 'x' }}{{ 'a' and 'b' }}{{ '' and 'b' }}", {}),
    ("in", "{{ 'b' in 'abc' }}{{ 2 in [1, 2] }}{{ 'k' in d }}{{ 'q' not in d }}{{ 'x' in missing }}{{ 1 in (1, 2) }}", {"d": {"k": 1}}),
    ("concat", "{{ 'n=' ~ 3 ~ true ~ none ~ missing ~ [1] }}", {}),
    ("string plus and times", "{{ 'ab' + 'cd' }}{{ 'ab' * 3 }}{{ 3 * 'x' }}{{ [1] * 2 }}{{ [1] + [2] }}", {}),
    ("bool arithmetic", "{{ true + 1 }}{{ true + true }}{{ -true }}{{ 10 - 2.5 }}", {}),
    ("conditional expression", "{{ 'yes' if flag else 'no' }}{{ 'a' if false }}|{{ 'x' if none else 'y' if 0 else 'z' }}", {"flag": True}),
    ("filter binds tighter than plus", "{{ 'a' + ' b ' | trim + 'c' }}{{ -3 | abs }}", {}),
    ("not binds looser than is", "{{ not x is defined }}{{ not none is none }}", {}),
    ("subscript and slices", "{{ xs[0] }}{{ xs[-1] }}{{ xs[1:] }}{{ xs[:2] }}{{ 'hello'[1:3] }}{{ d['k'] }}{{ d.k }}{{ xs.1 }}", {"xs": [1, 2, 3], "d": {"k": "v"}}),
    ("slice steps", "{{ xs[::-1] }}{{ xs[::2] }}{{ xs[1::2] }}{{ xs[-1:0:-1] }}{{ xs[:-2:-1] }}{{ 'abc'[::-1] }}{{ xs[10:] }}{{ xs[-10:2] }}", {"xs": [1, 2, 3, 4, 5]}),
    ("out of range item", "[{{ xs[5] }}][{{ 'ab'[7] }}]", {"xs": [1]}),
    ("dict methods shadow keys", "{{ d.items is defined }}|{{ d['items'] }}|{{ d.get('items') }}", {"d": {"items": 1}}),
    # Statements.
    ("if elif else", "{% for n in [1, 2, 3] %}{% if n == 1 %}one{% elif n == 2 %}two{% else %}many{% endif %},{% endfor %}", {}),
    ("for loop variables", "{% for x in items %}{{ loop.index }}{{ loop.index0 }}{{ loop.revindex }}{{ loop.revindex0 }}{{ loop.first }}{{ loop.last }}{{ loop.length }};{% endfor %}", {"items": ["a", "b", "c"]}),
    ("previtem nextitem", "{% for x in 'abc' %}{{ loop.previtem }}/{{ loop.nextitem }};{% endfor %}", {}),
    ("loop cycle", "{% for x in range(5) %}{{ loop.cycle('a', 'b') }}{% endfor %}", {}),
    ("for else", "{% for x in [] %}x{% else %}empty{% endfor %}{% for x in [1] %}x{% else %}empty{% endfor %}", {}),
    ("for over undefined", "{% for x in missing %}x{% else %}none{% endfor %}", {}),
    ("for with condition", "{% for x in [1, 2, 3, 4] if x % 2 == 0 %}{{ loop.index }}:{{ x }}{% if not loop.last %},{% endif %}{% endfor %}", {}),
    ("for over items", "{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}", {"d": {"x": 1, "y": "z", "a": None}}),
    ("for over items with condition", "{% for k, v in d.items() if k != 'b' %}{{ k }}={{ v }};{% endfor %}", {"d": {"a": 1, "b": 2, "c": 3}}),
    ("for over dict keys", "{% for k in d %}{{ k }}{% endfor %}", {"d": {"q": 1, "p": 2}}),
    ("for over string", "{% for c in 'héllo' %}[{{ c }}]{% endfor %}", {}),
    ("nested loops", "{% for a in [1, 2] %}{% for b in 'xy' %}{{ a }}{{ b }}{{ loop.index }} {% endfor %}{{ loop.index }}|{% endfor %}", {}),
    ("tuple unpacking", "{% for a, b in [[1, 2], [3, 4]] %}{{ a }}{{ b }}{% endfor %}{% for (a, b) in [(5, 6)] %}{{ a }}{{ b }}{% endfor %}", {}),
    ("break continue", "{% for n in [1, 2, 3, 4, 5] %}{% if n == 2 %}{% continue %}{% endif %}{% if n == 4 %}{% break %}{% endif %}{{ n }}{% endfor %}", {}),
    ("set and scope", "{% set a = 1 %}{% for x in [1] %}{% set a = 2 %}{{ a }}{% endfor %}{{ a }}{% if true %}{% set b = 3 %}{% endif %}{{ b }}", {}),
    ("set in loop is per iteration", "{% set a = 'out' %}{% for x in [1, 2] %}[{{ a }}]{% set a = x %}({{ a }}){% endfor %}{{ a }}", {}),
    ("set tuple", "{% set a, b = 1, 2 %}{{ a }}{{ b }}{% set t = 1, 2 %}{{ t }}", {}),
    ("block set", "{% set x %}  inner {{ 1 + 1 }}\n{% endset %}[{{ x }}]", {}),
    ("block set with filter", "{% set x | upper | trim %}  inner  {% endset %}[{{ x }}]", {}),
    ("namespace", "{% set ns = namespace(total=0, seen=false) %}{% for x in [1, 2, 3] %}{% set ns.total = ns.total + x %}{% if x == 2 %}{% set ns.seen = true %}{% endif %}{% endfor %}{{ ns.total }} {{ ns.seen }}", {}),
    ("namespace added attribute", "{% set ns = namespace() %}{% set ns.a = 'x' %}{{ ns.a }}[{{ ns.b }}]", {}),
    ("namespace from dict", "{% set ns = namespace({'a': 1}, b=2) %}{{ ns.a }}{{ ns.b }}", {}),
    ("namespace underscore refused", "{% set ns = namespace(_x=1) %}", {}),
    ("attribute of a non-namespace", "{% set d = {'a': 1} %}{% set d.a = 2 %}{{ d.a }}", {}),
    ("macro", "{% macro m(a, b=2) %}[{{ a }}{{ b }}{{ g }}]{% endmacro %}{% set g = 5 %}{{ m(1) }}{{ m(1, b=3) }}{{ m(b=4, a=0) }}", {}),
    ("macro recursion", "{% macro fact(n) %}{% if n <= 1 %}1{% else %}{{ n }}*{{ fact(n - 1) }}{% endif %}{% endmacro %}{{ fact(5) }}", {}),
    ("macro missing argument", "{% macro m(a, b) %}{{ a }}|{{ b }}|{{ b is defined }}{% endmacro %}{{ m(1) }}", {}),
    ("macro varargs kwargs", "{% macro m(a) %}{{ a }}{{ varargs }}{{ kwargs }}{% endmacro %}{{ m(1, 2, 3, k='v') }}", {}),
    ("macro too many arguments", "{% macro m(a) %}{{ a }}{% endmacro %}{{ m(1, 2) }}", {}),
    ("macro unknown keyword", "{% macro m(a) %}{{ a }}{% endmacro %}{{ m(1, z=2) }}", {}),
    ("macro does not see loop variables", "{% macro m() %}[{{ x }}]{% endmacro %}{% for x in [1] %}{{ m() }}{% endfor %}", {}),
    ("call block", "{% macro wrap(tag) %}<{{ tag }}>{{ caller() }}</{{ tag }}>{% endmacro %}{% call wrap('b') %}bold {{ 1 + 1 }}{% endcall %}", {}),
    ("call block with arguments", "{% macro each(xs) %}{% for x in xs %}{{ caller(x) }}{% endfor %}{% endmacro %}{% call(item) each([1, 2]) %}<{{ item }}>{% endcall %}", {}),
    ("filter block", "{% filter upper %}hello {{ 'world' }}{% endfilter %}", {}),
    ("with block", "{% with a = 1, b = 2 %}{{ a }}{{ b }}{% endwith %}[{{ a }}]", {}),
    ("print statement", "{% print 'x' ~ 1 %}", {}),
    ("generation block", "{% for m in ['a', 'b'] %}{% generation %}<{{ m }}>{% endgeneration %}{% endfor %}", {}),
    # Tests.
    ("tests", "{{ x is defined }}{{ y is defined }}{{ y is not defined }}{{ y is undefined }}{{ n is none }}{{ s is string }}{{ 1 is string }}", {"x": 1, "n": None, "s": "s"}),
    ("type tests", "{{ 1 is number }}{{ 1.5 is number }}{{ true is number }}{{ 1 is integer }}{{ true is integer }}{{ 1.0 is float }}{{ true is boolean }}{{ 1 is boolean }}", {}),
    ("container tests", "{{ {} is mapping }}{{ [] is mapping }}{{ 'a' is iterable }}{{ [] is iterable }}{{ 1 is iterable }}{{ missing is iterable }}{{ 'a' is sequence }}{{ {} is sequence }}{{ 3 is sequence }}", {}),
    ("value tests", "{{ true is true }}{{ 1 is true }}{{ false is false }}{{ 0 is false }}{{ 4 is even }}{{ 3 is odd }}{{ 9 is divisibleby 3 }}{{ 9 is divisibleby(4) }}", {}),
    ("comparison tests", "{{ 1 is eq 1 }}{{ 1 is equalto 2 }}{{ 2 is gt 1 }}{{ 2 is lt 1 }}{{ 2 is ge 2 }}{{ 'a' is in 'abc' }}{{ 'a' is ne 'b' }}", {}),
    ("callable and case tests", "{{ range is callable }}{{ 'x' is callable }}{{ 'abc' is lower }}{{ 'ABC' is upper }}{{ 'aB' is lower }}", {}),
    ("globals are defined", "{{ strftime_now is defined }} {{ raise_exception is defined }} {{ range is defined }} {{ namespace is defined }} {{ dict is defined }} {{ nothing is defined }}", {}),
    ("unknown test in if is runtime", "{% if false %}{% if x is nosuchtest %}{% endif %}{% endif %}ok", {}),
    ("unknown filter in if body is deferred", "{% if false %}{{ x | nosuchfilter }}{% endif %}ok", {}),
    # Filters.
    ("trim", "[{{ '  x  ' | trim }}][{{ 'xxhixx' | trim('x') }}][{{ none | trim }}][{{ missing | trim }}]", {}),
    ("length count", "{{ xs | length }}{{ 'héllo' | length }}{{ d | count }}{{ missing | length }}", {"xs": [1, 2, 3], "d": {"a": 1}}),
    ("case filters", "{{ 'Ab' | upper }}{{ 'Ab' | lower }}|{{ 'hello wORLD-foo (bar) [baz]' | title }}|{{ 'hELLO wORLD' | capitalize }}", {}),
    ("replace filter", "{{ 'aaa' | replace('a', 'b') }}{{ 'aaa' | replace('a', 'b', 2) }}{{ 'abc' | replace('', '-') }}", {}),
    ("join", "{{ xs | join }}|{{ xs | join('-') }}|{{ items | join(', ', attribute='name') }}|{{ [1, none, true] | join(',') }}", {"xs": ["a", "b"], "items": ITEMS}),
    ("first last", "{{ xs | first }}{{ xs | last }}{{ 'abc' | first }}{{ 'abc' | last }}[{{ [] | first }}]", {"xs": [1, 2, 3]}),
    ("list string", "{{ 'ab' | list }}{{ d | list }}{{ 5 | string }}{{ none | string }}{{ [1, 'a'] | string }}", {"d": {"k": 1, "j": 2}}),
    ("int float", "{{ 3.7 | int }}{{ '3.7' | int }}{{ 'x' | int }}{{ 'x' | int(7) }}{{ ' 42 ' | int }}{{ '0x1A' | int(0, 16) }}{{ '1_000' | int }}{{ true | int }}|{{ '12' | float }}{{ 3 | float }}{{ 'x' | float }}{{ ' 2.5 ' | float }}{{ none | int }}", {}),
    ("default", "{{ missing | default('d') }}{{ missing | d('d2') }}{{ '' | default('e') }}{{ '' | default('e', true) }}{{ none | default('n') }}{{ false | default('f', boolean=true) }}[{{ missing | default }}]", {}),
    ("items filter", "{% for k, v in d | items %}{{ k }}{{ v }}{% endfor %}{{ missing | items | list }}", {"d": {"b": 1, "a": 2}}),
    ("map attribute", "{{ items | map(attribute='name') | list }}{{ items | map(attribute='on', default='?') | list }}", {"items": ITEMS}),
    ("map filter", "{{ ['a', 'b'] | map('upper') | list }}{{ [' a ', 'b '] | map('trim') | join('|') }}{{ [[1, 2], [3]] | map('length') | list }}", {}),
    ("map dotted attribute", "{{ msgs | map(attribute='function.name') | list }}{{ msgs | map(attribute='function.args.0') | list }}", {"msgs": [{"function": {"name": "f", "args": [9]}}, {"function": {"name": "g", "args": [8]}}]}),
    ("selectattr", "{{ items | selectattr('on') | map(attribute='name') | list }}{{ items | rejectattr('on') | map(attribute='name') | list }}", {"items": ITEMS}),
    ("selectattr tests", "{{ msgs | selectattr('role', 'equalto', 'user') | list | length }}{{ (msgs | selectattr('role', 'equalto', 'user') | list)[-1].content }}{{ msgs | selectattr('tool_calls', 'defined') | list | length }}{{ msgs | rejectattr('tool_calls', 'undefined') | list | length }}", {"msgs": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b", "tool_calls": []}, {"role": "user", "content": "c"}]}),
    ("select reject", "{{ [1, 2, 3, 4] | select('even') | list }}{{ [1, 2, 3, 4] | reject('even') | list }}{{ [0, 1, '', 'a', none] | select | list }}{{ [1, 5, 9] | select('gt', 4) | list }}{{ ['a', 'b'] | select('in', ['b']) | list }}", {}),
    ("unique", "{{ ['b', 'A', 'a', 'b'] | unique | list }}{{ ['b', 'A', 'a'] | unique(case_sensitive=true) | list }}{{ [1, 1.0, true, 2] | unique | list }}{{ items | unique(attribute='on') | map(attribute='name') | list }}", {"items": ITEMS}),
    ("reverse", "{{ [1, 2, 3] | reverse | list }}{{ 'abc' | reverse }}{% for x in [1, 2] | reverse %}{{ x }}{% endfor %}", {}),
    ("sort", "{{ [3, 1, 2] | sort }}{{ ['b', 'A', 'a', 'C'] | sort }}{{ ['b', 'A', 'a'] | sort(case_sensitive=true) }}{{ [3, 1, 2] | sort(reverse=true) }}{{ items | sort(attribute='n') | map(attribute='name') | list }}{{ items | sort(attribute='name') | map(attribute='name') | list }}", {"items": ITEMS}),
    ("sort stability", "{{ items | sort(attribute='k') | map(attribute='v') | join }}{{ items | sort(attribute='k', reverse=true) | map(attribute='v') | join }}", {"items": [{"k": 1, "v": "a"}, {"k": 0, "v": "b"}, {"k": 1, "v": "c"}, {"k": 0, "v": "d"}]}),
    ("dictsort", "{{ d | dictsort }}{{ d | dictsort(reverse=true) }}{{ d | dictsort(by='value') }}{{ d | dictsort(true) }}", {"d": {"b": 1, "a": 3, "C": 2}}),
    ("min max sum", "{{ [3, 1, 2] | min }}{{ [3, 1, 2] | max }}{{ ['b', 'A'] | min }}{{ [1, 2, 3] | sum }}{{ items | sum(attribute='n') }}{{ [1.5, 2] | sum(start=10) }}", {"items": ITEMS}),
    ("round abs", "{{ 2.5 | round }}{{ 3.5 | round }}{{ 2.675 | round(2) }}{{ 3 | round }}{{ 2.1 | round(0, 'ceil') }}{{ 2.9 | round(method='floor') }}{{ -2.5 | abs }}{{ -3 | abs }}{{ 1234 | round(-2) }}", {}),
    ("safe escape", "{{ '<b>' | safe }}{{ '<a href=\"x\">&\\'' | escape }}{{ '<' | e }}", {}),
    ("indent", "{{ 'a\\nb\\n\\nc' | indent }}|{{ 'a\\nb' | indent(2, true) }}|{{ 'a\\n\\nb' | indent(2, blank=true) }}|{{ 'a\\nb\\n' | indent('> ') }}", {}),
    ("format filter", "{{ '%s-%d-%.2f-%r|%5s|%-3d|' | format('x', 7, 3.14159, 'q', 'ab', 4) }}{{ '%(a)s' | format(a=1) }}", {}),
    ("percent operator", "{{ '%s and %s' % ('a', 'b') }}{{ '%d%%' % 50 }}{{ '%03d' % 7 }}", {}),
    ("wordcount center attr", "{{ 'a b  c' | wordcount }}[{{ 'ab' | center(6) }}]{{ d | attr('k') }}", {"d": {"k": "v"}}),
    ("tojson", "{{ {'a': [1, 'x', none, true, 1.5], 'b': {}} | tojson }}", {}),
    ("tojson keeps order and unicode", "{{ d | tojson }}", {"d": {"zeta": "é日本🎉", "alpha": "\"q\" \\ \n\t\u0001\u007f\u2028", "mid": [None, False, 1e20, 0.5]}}),
    ("tojson indent", "{{ d | tojson(indent=4) }}|{{ [] | tojson(indent=2) }}{{ {} | tojson(indent=2) }}{{ [[]] | tojson(indent=2) }}|{{ [1] | tojson(indent=0) }}", {"d": {"b": [1, {"c": "x"}], "a": {}, "e": []}}),
    ("tojson options", "{{ d | tojson(sort_keys=true) }}{{ d | tojson(separators=(',', ':')) }}{{ d | tojson(ensure_ascii=true) }}{{ 'x' | tojson }}{{ 3 | tojson }}", {"d": {"b": 1, "a": "é🎉"}}),
    ("tojson indent string", "{{ [1, [2]] | tojson(indent='\\t') }}", {}),
    ("tojson of undefined fails", "{{ missing | tojson }}", {}),
    # String methods.
    ("strip methods", "[{{ ' x '.strip() }}][{{ ' x '.lstrip() }}][{{ ' x '.rstrip() }}][{{ '\\n\\nx\\n'.strip('\\n') }}][{{ 'xxay'.lstrip('x') }}][{{ 'ayyx'.rstrip('xy') }}][{{ ' a '.strip(none) }}]", {}),
    ("split", "{{ 'a<b>c<b>'.split('<b>') }}{{ ' a  b '.split() }}{{ 'x'.split(',') }}{{ 'r</think>a'.split('</think>')[-1] }}{{ 'a,b,,c'.split(',') }}{{ 'a b c'.split(none, 1) }}{{ 'a,b,c'.split(',', 1) }}{{ ' a  b '.split(' ') }}", {}),
    ("rsplit splitlines", "{{ 'a,b,c'.rsplit(',', 1) }}{{ 'a b c'.rsplit() }}{{ 'a\\nb\\r\\nc\\n'.splitlines() }}", {}),
    ("startswith endswith", "{{ 'abc'.startswith('ab') }}{{ 'abc'.endswith('x') }}{{ 'abc'.startswith(('x', 'a')) }}{{ 'abc'.endswith('bc') }}{{ 'abc'.startswith('b', 1) }}{{ 'abc'.startswith('', 3) }}{{ 'abc'.startswith('', 4) }}", {}),
    ("case methods", "{{ 'ab'.upper() }}{{ 'AB'.lower() }}{{ 'hello world-foo'.title() }}{{ \"they're\".title() }}{{ 'hELLO'.capitalize() }}{{ 'aB'.swapcase() }}", {}),
    ("replace find count", "{{ 'a-b-c'.replace('-', '+') }}{{ 'a-b-c'.replace('-', '', 1) }}{{ 'abcabc'.find('c') }}{{ 'abc'.find('z') }}{{ 'abcabc'.rfind('a') }}{{ 'aaaa'.count('aa') }}{{ 'abc'.index('b') }}", {}),
    ("join method", "{{ ', '.join(['a', 'b']) }}{{ '-'.join('xyz') }}", {}),
    ("format method", "{{ '{} and {}'.format('a', 'b') }}{{ '{1}{0}'.format('x', 'y') }}{{ '{name}!'.format(name='n') }}{{ '{{}}{}'.format(1) }}{{ '{!r}'.format('q') }}", {}),
    ("string predicates", "{{ '123'.isdigit() }}{{ '12a'.isdigit() }}{{ 'abc'.isalpha() }}{{ ' '.isspace() }}{{ 'abc'.islower() }}{{ 'ABC'.isupper() }}{{ 'a1'.isalnum() }}", {}),
    ("padding methods", "[{{ '7'.zfill(3) }}][{{ '-7'.zfill(3) }}][{{ 'ab'.ljust(4, '.') }}][{{ 'ab'.rjust(4) }}][{{ 'ab'.center(5, '*') }}]", {}),
    ("partition removeprefix", "{{ 'a=b=c'.partition('=') }}{{ 'a=b=c'.rpartition('=') }}{{ 'prefix-x'.removeprefix('prefix-') }}{{ 'x.txt'.removesuffix('.txt') }}", {}),
    # Dict and list methods.
    ("dict methods", "{{ d.keys() | list }}{{ d.values() | list }}{{ d.items() | list }}{{ d.get('k') }}{{ d.get('q', 'dflt') }}{{ d.get('q') }}", {"d": {"k": "v", "a": 1}}),
    ("list methods", "{{ xs.index(2) }}{{ xs.count(1) }}", {"xs": [1, 2, 1]}),
    ("list append is refused", "{% set xs = [] %}{{ xs.append(1) }}", {}),
    ("dict update is refused", "{% set d = {} %}{{ d.update({'a': 1}) }}", {}),
    # Globals.
    ("range", "{% for i in range(3) %}{{ i }}{% endfor %}{{ range(1, 8, 3) | list }}{{ range(3, -1, -1) | list }}{{ range(0, 3, -1) | list }}{{ range(0) | list }}", {}),
    ("range too big", "{{ range(200000) | length }}", {}),
    ("dict global", "{{ dict(a=1, b='x') }}{{ dict([('k', 1)]) }}{{ dict({'z': 0}, y=1) }}", {}),
    ("strftime_now", "{{ strftime_now('%d %b %Y') }}|{{ strftime_now('%Y-%m-%d %H:%M:%S %A %B %j %a %I %p %y %%') }}", {}),
    ("strftime_now more directives", "{{ strftime_now('%-d %-m %e|%F %T %D %R|%u %w') }}", {}),
    ("raise_exception", "{% if true %}{{ raise_exception('Custom message: ' ~ 42) }}{% endif %}", {}),
    # Jinja's compile-time scoping: a name a scope assigns without reading it first starts undefined.
    ("scope: root read before set", "{{ x }}{% set x = 's' %}{{ x }}", {"x": "X"}),
    ("scope: loop read before root set", "{% for n in [1] %}[{{ x }}]{% endfor %}{% set x = 's' %}{{ x }}", {"x": "X"}),
    ("scope: loop read without set", "{% for n in [1] %}[{{ x }}]{% endfor %}", {"x": "X"}),
    ("scope: macro read before root set", "{% macro m() %}[{{ x }}]{% endmacro %}{{ m() }}{% set x = 's' %}{{ m() }}", {"x": "X"}),
    ("scope: conditional set keeps context", "{% if false %}{% set x = 's' %}{% endif %}[{{ x }}]{% for n in [1] %}[{{ x }}]{% endfor %}", {"x": "X"}),
    ("scope: loop body set after read", "{% for n in [1] %}[{{ x }}]{% set x = 2 %}[{{ x }}]{% endfor %}", {"x": "X"}),
    ("scope: loop body set before read in nested loop", "{% for n in [1] %}{% for m in [1] %}[{{ x }}]{% endfor %}{% set x = 2 %}{% endfor %}", {"x": "X"}),
    ("scope: macro sees loop it is defined in", "{% for n in [1, 2] %}{% macro m() %}{{ n }}{{ loop.index }}{% endmacro %}{{ m() }}{% endfor %}", {}),
    ("scope: macro defined in if in loop", "{% for n in [1, 2] %}{% if n == 1 %}{% macro m() %}{{ n }}{% endmacro %}{% endif %}{{ m() }}{% endfor %}", {}),
    ("scope: macro sees later root set", "{% macro m() %}{{ g }}{% endmacro %}{% set g = 5 %}{{ m() }}", {}),
    ("scope: macro does not see loop set", "{% macro m() %}[{{ g }}]{% endmacro %}{% for i in [1] %}{% set g = 5 %}{{ m() }}{% endfor %}", {}),
    ("scope: macro local set", "{% macro m() %}{{ y }}{% set y = 1 %}{{ y }}{% endmacro %}[{{ m() }}]", {"y": "Y"}),
    ("scope: set from itself", "{% for n in [1, 2] %}{% set x = x ~ n %}{{ x }}|{% endfor %}", {"x": "X"}),
    # Generators and dict views, as Python has them.
    ("generator is always true", "{% if xs | select('even') %}yes{% endif %}{% if xs | select('even') | list %}no{% endif %}{% if [] | map('upper') %}yes{% endif %}", {"xs": [1, 3]}),
    ("generator tests", "{{ xs | select('odd') is sequence }}{{ xs | select('odd') is iterable }}{{ xs | map('string') | list }}{{ xs | reverse | first }}{{ (xs | select('odd'))[0] is defined }}", {"xs": [1, 2, 3]}),
    ("generator has no length", "{{ xs | select('odd') | length }}", {"xs": [1]}),
    ("generator is not reversible", "{{ xs | select('odd') | last }}", {"xs": [1]}),
    ("select of falsy value is empty", "{{ none | select('odd') | list }}{{ 0 | map('upper') | list }}{{ false | rejectattr('x') | list }}", {}),
    ("select error waits for use", "{% set g = 5 | select('odd') %}ok{{ g is defined }}", {}),
    ("select error when used", "{% set g = 5 | select('odd') %}{{ g | list }}", {}),
    ("dict views", "{{ d.items() }}|{{ d.keys() }}|{{ d.values() }}|{{ d.keys() | length }}|{{ d.items() | last }}|{% if {}.items() %}x{% else %}empty{% endif %}", {"d": {"a": 1, "b": None}}),
    ("reverse iterators", "{% for m in msgs | reverse %}{{ m }}{% endfor %}|{{ msgs | reverse | list }}|{{ 'abc' | reverse }}", {"msgs": ["a", "b"]}),
    ("undefined is callable", "{{ missing is callable }}{{ missing is iterable }}{{ missing is sequence }}", {}),
    ("string percent with list", "[{{ '' % [1] }}][{{ 'x' % {} }}][{{ '%s' % [1] }}]", {}),
    ("string percent leftover", "{{ 'x' % 5 }}", {}),
    ("wordcount counts words", "{{ '[]' | wordcount }}{{ 'a-b c_d 3' | wordcount }}", {}),
    ("int of undefined fails", "{{ missing | int }}", {}),
    ("indent of number fails", "{{ 3 | indent }}", {}),
    ("slice of number fails", "{% set n = 5 %}{{ n[1:] }}", {}),
    ("slice of dict fails", "{% set d = {} %}{{ d[1:] }}", {}),
    ("raw end after brace", "{% raw %}a{{% endraw %}b", {}),
    # Errors.
    ("undefined attribute access fails", "{{ missing.attr }}", {}),
    ("undefined item access fails", "{{ missing[0] }}", {}),
    ("undefined arithmetic fails", "{{ missing + 1 }}", {}),
    ("calling undefined fails", "{{ missing() }}", {}),
    ("type error", "{{ 'a' + 1 }}", {}),
    ("division by zero", "{{ 1 / 0 }}", {}),
    ("integer division by zero", "{{ 5 // 0 }}", {}),
    ("modulo by zero", "{{ 5 % 0 }}", {}),
    ("unknown filter", "{{ x | nosuchfilter }}", {}),
    ("unknown test", "{{ x is nosuchtest }}", {}),
    ("unclosed for", "{% for x in y %}", {}),
    ("stray endfor", "{% endfor %}", {}),
    ("unknown tag", "{% frobnicate %}", {}),
    ("break outside loop", "{% break %}", {}),
    ("unclosed expression", "{{ x ", {}),
    ("unclosed string", "{{ 'abc }}", {}),
    ("unbalanced brackets", "{{ (1 }}", {}),
    ("dict in output needs balanced braces", "{{ {'a': {'b': 1}} }}", {}),
    ("not iterable", "{% for x in 5 %}{% endfor %}", {}),
    ("none is not iterable", "{% for x in none %}{% endfor %}", {}),
    ("unpack mismatch", "{% for a, b in [[1, 2, 3]] %}{% endfor %}", {}),
    ("slice step zero", "{{ [1][::0] }}", {}),
    ("empty split separator", "{{ 'a'.split('') }}", {}),
    ("compare string with number", "{{ 'a' < 1 }}", {}),
    ("sort mixed types", "{{ [1, 'a'] | sort }}", {}),
]


def main():
    env_version = jinja2.__version__
    template_files = sorted(TEMPLATES.glob("*.jinja"))
    if not template_files:
        sys.exit(f"no templates in {TEMPLATES}")

    chat_cases = []
    for path in template_files:
        source = path.read_text(encoding="utf-8")
        for case_name, conversation in CONVERSATIONS.items():
            context = chat_context(path.name, conversation)
            chat_cases.append({"template": path.name, "case": case_name, "context": context, **render(source, context)})

    inline_cases = []
    for name, source, context in INLINE:
        inline_cases.append({"name": name, "template": source, "context": context, **render(source, context)})

    header = {
        "generator": "scripts/chat-template-expected.py",
        "jinja2": env_version,
        "now": FIXED_NOW.isoformat(),
    }
    write(FIXTURES / "chat-template-cases.json", {**header, "cases": chat_cases})
    write(FIXTURES / "inline-cases.json", {**header, "cases": inline_cases})
    errors = sum("error" in case for case in chat_cases)
    print(f"jinja2 {env_version}: {len(chat_cases)} chat cases ({errors} errors), {len(inline_cases)} inline cases")


def write(path, payload):
    path.write_text(json.dumps(payload, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
