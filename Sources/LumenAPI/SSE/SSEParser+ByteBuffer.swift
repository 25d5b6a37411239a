public import NIOCore

// The parser itself works on bytes (so it builds without NIO, for the fuzzer); servers and clients
// hand it ByteBuffers.
extension SSEParser {
    /// Feeds a chunk and returns the `data` of every event it completed, in order.
    public mutating func feed(_ buffer: ByteBuffer) throws(ParseError) -> [String] {
        try feed(bytes: buffer.readableBytesView)
    }

    /// Adds a chunk; `next()` then takes its events one at a time, so a relay holds one event, not a chunk's worth.
    public mutating func append(_ buffer: ByteBuffer) {
        append(bytes: buffer.readableBytesView)
    }
}

/// Frames SSE events.
public enum SSE {
    public static let done = "[DONE]"

    /// `data: <payload>\n\n`; the payload must be one line (JSON is).
    public static func event(_ payload: String, allocator: ByteBufferAllocator = ByteBufferAllocator()) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: payload.utf8.count + 8)
        buffer.writeStaticString("data: ")
        buffer.writeString(payload)
        buffer.writeStaticString("\n\n")
        return buffer
    }

    public static func comment(_ text: String) -> ByteBuffer {
        ByteBuffer(string: ": \(text)\n\n")
    }
}
