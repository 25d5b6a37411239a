import LumenAPI
import NIOCore
import Testing

@Suite("Strict JSON parsing with limits")
struct JSONParserTests {
    private func refusal(_ text: String, limits: JSONValue.ParseLimits = .init()) -> JSONValue.JSONSyntaxError? {
        do {
            _ = try JSONValue(json: text, limits: limits)
            return nil
        } catch {
            return error
        }
    }

    @Test("keeps key order, number text and unescapes every escape")
    func parsesValidDocuments() throws {
        let value = try JSONValue(json: #" {"b": [1, -0.5e+3, 2E-7, 0], "a": "x\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00", "c": null, "d": true} "#)
        #expect(value.entries?.map(\.key) == ["b", "a", "c", "d"])
        #expect(value["b"] == .list([.number("1"), .number("-0.5e+3"), .number("2E-7"), .number("0")]))
        #expect(value["a"]?.stringValue == "x\"\\/\u{08}\u{0C}\n\r\té😀")
        #expect(value["c"] == .null && value["d"] == .bool(true))
        #expect(try JSONValue(json: "\"héllo\"").stringValue == "héllo")
    }

    @Test("a lone surrogate is refused, never a crash", arguments: [
        #"{"a": "\ud800\u0041"}"#, #"{"a": "\ud800"}"#, #"{"a": "\udc00"}"#, #"{"a": "\ud800\ud800"}"#, #""\uDBFF\u"#,
    ])
    func refusesLoneSurrogates(_ text: String) {
        #expect(refusal(text)?.reason.contains("surrogate") == true || refusal(text) != nil)
    }

    @Test("40,000 nested arrays are refused at the depth limit, not by the stack")
    func refusesDeepNesting() throws {
        let deep = String(repeating: "[", count: 40_000) + String(repeating: "]", count: 40_000)
        let error = try #require(refusal(deep))
        #expect(error.reason.contains("nested deeper than 128"))
        let objects = String(repeating: #"{"a":"#, count: 10_000) + "1" + String(repeating: "}", count: 10_000)
        #expect(refusal(objects)?.reason.contains("nested deeper") == true)
        // 128 levels are fine.
        let allowed = String(repeating: "[", count: 128) + String(repeating: "]", count: 128)
        _ = try JSONValue(json: allowed)
    }

    @Test("invalid escapes, numbers and literals are refused", arguments: [
        #""h\qi""#, "--1e", "-", "01", "1.", ".5", "1e", "1e+", "+1", "0x10", "NaN", "Infinity", "tru", "nul",
        "[1,]", "{\"a\":1,}", "{a:1}", "[1 2]", "\"abc", "\"a\u{01}b\"", "\"\\u12G4\"", "{\"a\" 1}", "[] []", "",
        "'single'", "\u{FEFF}{}",
    ])
    func refusesInvalidJSON(_ text: String) {
        #expect(refusal(text) != nil, "accepted \(text.debugDescription)")
    }

    @Test("a duplicate key is refused: readers disagree on which one wins")
    func refusesDuplicateKeys() throws {
        let error = try #require(refusal(#"{"model":"cheap","n":1,"messages":[],"n":128}"#))
        #expect(error.reason.contains(#"duplicate key "n""#))
        #expect(refusal(#"{"a":{"b":1,"b":2}}"#) != nil)
        // Past the scan, in a large object, too.
        let large = (0..<40).map { #""k\#($0)":\#($0)"# }.joined(separator: ",")
        #expect(refusal("{" + large + "}") == nil)
        #expect(refusal("{" + large + #","k3":0}"#)?.reason.contains(#"duplicate key "k3""#) == true)
        // The same key in sibling objects is fine.
        #expect(refusal(#"[{"b":1},{"b":2}]"#) == nil)
    }

    @Test("invalid UTF-8 inside a string is refused")
    func refusesInvalidUTF8() {
        var buffer = ByteBuffer(string: "{\"a\": \"")
        buffer.writeBytes([0xC3, 0x28, 0xFF])
        buffer.writeString("\"}")
        #expect(throws: JSONValue.JSONSyntaxError.self) { try JSONValue(buffer: buffer) }
    }

    @Test("the value, string and number limits hold")
    func limitsHold() {
        let limits = JSONValue.ParseLimits(maxDepth: 4, maxValues: 10, maxStringBytes: 8, maxNumberLength: 5)
        #expect(refusal("[" + Array(repeating: "1", count: 10).joined(separator: ",") + "]", limits: limits)?.reason.contains("values") == true)
        #expect(refusal("[1,2,3]", limits: limits) == nil)
        #expect(refusal(#""123456789""#, limits: limits)?.reason.contains("string longer") == true)
        #expect(refusal(#""12\n456789""#, limits: limits)?.reason.contains("string longer") == true)
        #expect(refusal("123456", limits: limits)?.reason.contains("number longer") == true)
        #expect(refusal("[[[[[1]]]]]", limits: limits)?.reason.contains("nested") == true)
    }

    @Test("a request body that breaks the rules is a 400 in OpenAI's shape")
    func requestBodyErrors() {
        #expect(throws: OpenAIError.self) { try JSONValue.requestBody(ByteBuffer(string: #"{"a": "\ud800\u0041"}"#)) }
        do {
            _ = try JSONValue.requestBody(ByteBuffer(string: #"{"model": "h\qi"}"#))
            Issue.record("accepted an invalid escape")
        } catch {
            #expect(error.status == 400 && error.code == "invalid_json")
            #expect(error.message.contains("invalid escape") && error.message.contains("byte"))
        }
    }

    @Test("a parsed document serialises and parses back to the same value")
    func roundTrip() throws {
        let text = #"{"s": "line\nbreak \u2028 é \ud83d\ude00 \u0000", "n": [1.50, -2e10], "o": {"k": [true, false, null]}}"#
        let value = try JSONValue(json: text)
        #expect(try JSONValue(json: value.json(pretty: false)) == value)
        #expect(try JSONValue(json: value.json(pretty: true)) == value)
    }
}
