import LumenAPI
import NIOCore
import Testing

/// Streams the SSE fuzzer (Fuzz/SSE) found read wrongly: the parser split events into lines as
/// Characters, where "\r\n" is one Character and a combining mark joins the character before it.
@Suite struct SSEFuzzRegressionTests {
    static func events(_ stream: [UInt8]) throws -> [String] {
        var parser = SSEParser()
        var events = try parser.feed(ByteBuffer(bytes: stream))
        if let last = parser.finish() { events.append(last) }
        return events
    }

    @Test func dataLinesEndingInCRLFAreSeparateLines() throws {
        // Was one line: "a\r\ndata: b".
        #expect(try Self.events(Array("data: a\r\ndata: b\r\n\r\n".utf8)) == ["a\nb"])
        #expect(try Self.events(Array("id: 1\r\ndata: x\r\n\r\n".utf8)) == ["x"])
    }

    @Test func aCombiningMarkAfterTheColonKeepsTheDataField() throws {
        // "data:" followed by U+0301: the ":" and the accent are one Character, so the field was dropped.
        #expect(try Self.events([0x64, 0x61, 0x74, 0x61, 0x3A, 0xCC, 0x81, 0x78, 0x0A, 0x0A]) == ["\u{301}x"])
    }

    @Test func invalidUTF8IsReplacedNotDropped() throws {
        #expect(try Self.events(Array("data: a".utf8) + [0xFF] + Array("b\n\n".utf8)) == ["a\u{FFFD}b"])
    }
}
