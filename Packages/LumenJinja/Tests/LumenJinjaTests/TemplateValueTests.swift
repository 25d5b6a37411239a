import LumenJinja
import Testing

struct TemplateValueTests {
    @Test func jsonKeepsKeyOrderAndNumberKinds() throws {
        let value = try TemplateValue(json: #"{"z": 1, "a": [1.5, -2, 1e2, true, false, null], "m": {"y": "x"}}"#)
        guard case .object(let object) = value else {
            Issue.record("not an object")
            return
        }
        #expect(object.keys == ["z", "a", "m"])
        #expect(value["z"] == .int(1))
        #expect(value["a"] == [1.5, -2, .double(100), true, false, nil])
        #expect(value["m"] == ["y": "x"])
    }

    @Test func jsonStringEscapes() throws {
        #expect(try TemplateValue(json: #""a\"b\\c\/d\n\t\u00e9\ud83c\udf89""#) == .string("a\"b\\c/d\n\té🎉"))
    }

    @Test func malformedJSONIsAnError() {
        for text in ["", "{", "[1,]", "{\"a\" 1}", "tru", "\"abc", "1 2", "{\"a\":}", "-", "01x"] {
            #expect(throws: TemplateJSONError.self, "\(text)") { try TemplateValue(json: text) }
        }
    }

    @Test func hugeIntegersBecomeDoubles() throws {
        #expect(try TemplateValue(json: "123456789012345678901234567890") == .double(1.2345678901234568e29))
    }

    @Test func literalsBuildValues() {
        let value: TemplateValue = ["role": "user", "n": 2, "ok": true, "none": nil, "list": [1, "a"]]
        guard case .object(let object) = value else {
            Issue.record("not an object")
            return
        }
        #expect(object.keys == ["role", "n", "ok", "none", "list"])
        #expect(value["list"] == [1, "a"])
    }

    @Test func objectSetAndRemoveKeepOrder() {
        var object = TemplateObject([("a", 1), ("b", 2)])
        object["c"] = 3
        object["a"] = 10
        object["b"] = nil
        #expect(object.keys == ["a", "c"])
        #expect(object["a"] == 10)
        #expect(Array(object.map(\.key)) == ["a", "c"])
    }
}

struct TemplateValueSwiftTests {
    @Test func swiftDictionariesGetSortedKeys() throws {
        let value = TemplateValue(["b": 1, "a": 2])
        #expect(try render("{{ v | tojson }}", ["v": value]) == #"{"a": 2, "b": 1}"#)
    }

    @Test func scalarInitialisers() {
        #expect(TemplateValue(true) == .bool(true))
        #expect(TemplateValue(3) == .int(3))
        #expect(TemplateValue(2.5) == .double(2.5))
        #expect(TemplateValue("s") == .string("s"))
        #expect(TemplateValue([TemplateValue(1)]) == [1])
    }
}
