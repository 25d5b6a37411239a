import LumenAPI
import NIOCore
import Testing

@Suite struct SSEParserTests {
    static let stream = "data: {\"a\":1}\n\n: ping\n\ndata: line one\ndata: line two\r\n\r\nevent: x\ndata: [DONE]\n\n"
    static let expected = ["{\"a\":1}", "line one\nline two", "[DONE]"]

    @Test func eventsSurviveEverySplitPoint() throws {
        let bytes = Array(Self.stream.utf8)
        for cut in 0...bytes.count {
            var parser = SSEParser()
            var events = try parser.feed(ByteBuffer(bytes: bytes[..<cut]))
            events += try parser.feed(ByteBuffer(bytes: bytes[cut...]))
            #expect(events == Self.expected, "split at \(cut)")
            #expect(parser.finish() == nil)
        }
    }

    @Test func oneByteAtATimePulledOneEventAtATime() throws {
        var parser = SSEParser()
        var events: [String] = []
        for byte in Self.stream.utf8 {
            parser.append(ByteBuffer(bytes: [byte]))
            while let event = try parser.next() { events.append(event) }
        }
        #expect(events == Self.expected)
    }

    @Test func aWholeStreamInOneChunkIsTakenOneEventAtATime() throws {
        var parser = SSEParser()
        parser.append(ByteBuffer(string: Self.stream))
        #expect(try parser.next() == Self.expected[0])
        #expect(try parser.next() == Self.expected[1])
        #expect(try parser.next() == Self.expected[2])
        #expect(try parser.next() == nil)
    }

    @Test func aFinalEventWithoutItsBlankLineComesFromFinish() throws {
        var parser = SSEParser()
        #expect(try parser.feed(ByteBuffer(string: "data: one\n\ndata: tail")) == ["one"])
        #expect(parser.finish() == "tail")
    }

    @Test func anEventThatNeverEndsIsRefusedPastTheLimit() {
        var parser = SSEParser(maxEventBytes: 64)
        #expect(throws: SSEParser.ParseError.eventTooLarge(limit: 64)) {
            _ = try parser.feed(ByteBuffer(string: "data: " + String(repeating: "x", count: 100)))
        }
    }
}
