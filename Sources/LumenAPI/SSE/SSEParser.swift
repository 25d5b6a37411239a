public import NIOCore

/// Reassembles Server-Sent Events from arbitrary chunk edges. Only `data:` fields matter to
/// OpenAI streams; comments (`: ping`) and other fields are dropped.
public struct SSEParser: Sendable {
    public enum ParseError: Error, Equatable {
        /// An event grew past the limit without ending: the upstream is not speaking SSE.
        case eventTooLarge(limit: Int)
    }

    /// The largest event kept while waiting for its end.
    public let maxEventBytes: Int
    private var pending: [UInt8] = []
    private var scanFrom = 0

    public init(maxEventBytes: Int = 1 << 20) {
        self.maxEventBytes = maxEventBytes
    }

    /// Feeds a chunk and returns the `data` of every event it completed, in order.
    public mutating func feed(_ buffer: ByteBuffer) throws(ParseError) -> [String] {
        pending.append(contentsOf: buffer.readableBytesView)
        var events: [String] = []
        var start = 0
        var index = max(0, scanFrom - 1)
        while index < pending.count {
            // An event ends at a blank line: "\n\n", or "\r\n\r\n" (a lone "\r" ending is rare; not supported).
            if pending[index] == 0x0A {
                var next = index + 1
                if next < pending.count, pending[next] == 0x0D { next += 1 }
                if next < pending.count, pending[next] == 0x0A {
                    if let data = Self.data(of: pending[start..<index]) { events.append(data) }
                    start = next + 1
                    index = start
                    continue
                }
            }
            index += 1
        }
        if start > 0 { pending.removeFirst(start) }
        scanFrom = pending.count
        if pending.count > maxEventBytes { throw .eventTooLarge(limit: maxEventBytes) }
        return events
    }

    /// Whatever is left when the stream ends: a final event without its blank line, if any.
    public mutating func finish() -> String? {
        defer { pending.removeAll(); scanFrom = 0 }
        return Self.data(of: pending[...])
    }

    private static func data(of block: ArraySlice<UInt8>) -> String? {
        var lines: [Substring] = []
        let text = String(decoding: block, as: UTF8.self)
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: true) {
            let line = rawLine.hasSuffix("\r") ? rawLine.dropLast() : rawLine
            guard line.hasPrefix("data:") else { continue }
            var value = line.dropFirst(5)
            if value.hasPrefix(" ") { value = value.dropFirst() }
            lines.append(value)
        }
        return lines.isEmpty ? nil : lines.joined(separator: "\n")
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
