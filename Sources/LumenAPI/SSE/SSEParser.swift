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
    /// Bytes of `pending` already returned as events.
    private var consumed = 0
    private var scanFrom = 0

    public init(maxEventBytes: Int = 1 << 20) {
        self.maxEventBytes = maxEventBytes
    }

    /// Feeds a chunk and returns the `data` of every event it completed, in order.
    public mutating func feed(bytes: some Sequence<UInt8>) throws(ParseError) -> [String] {
        append(bytes: bytes)
        var events: [String] = []
        while let event = try next() { events.append(event) }
        return events
    }

    /// Adds a chunk; `next()` then takes its events one at a time, so a relay holds one event, not a chunk's worth.
    public mutating func append(bytes: some Sequence<UInt8>) {
        pending.append(contentsOf: bytes)
    }

    /// The `data` of the next complete event, or nil when more bytes are needed.
    public mutating func next() throws(ParseError) -> String? {
        // Back up two bytes: a blank line may have been split across chunks ("\n\r" | "\n").
        var index = max(consumed, scanFrom - 2)
        while index < pending.count {
            // An event ends at a blank line: "\n\n", or "\r\n\r\n" (a lone "\r" ending is rare; not supported).
            if pending[index] == 0x0A {
                var next = index + 1
                if next < pending.count, pending[next] == 0x0D { next += 1 }
                if next < pending.count, pending[next] == 0x0A {
                    let data = Self.data(of: pending[consumed..<index])
                    consumed = next + 1
                    scanFrom = consumed
                    if let data { return data }
                    index = consumed
                    continue
                }
            }
            index += 1
        }
        // Free the chunk's storage once it is all consumed: an idle stream should hold nothing.
        if consumed == pending.count { pending.removeAll() } else { pending.removeFirst(consumed) }
        consumed = 0
        scanFrom = pending.count
        if pending.count > maxEventBytes { throw .eventTooLarge(limit: maxEventBytes) }
        return nil
    }

    /// Whatever is left when the stream ends: a final event without its blank line, if any.
    public mutating func finish() -> String? {
        defer { pending.removeAll(); consumed = 0; scanFrom = 0 }
        return Self.data(of: pending[consumed...])
    }

    private static let dataField = Array("data:".utf8)

    /// The joined `data` lines of one event. Read as bytes, not Characters: "\r\n" is one Character
    /// (so splitting text at "\n" would miss it), and a combining mark after "data:" would hide the field.
    private static func data(of block: ArraySlice<UInt8>) -> String? {
        var joined: [UInt8] = []
        var found = false
        for rawLine in block.split(separator: 0x0A, omittingEmptySubsequences: true) {
            var line = rawLine.last == 0x0D ? rawLine.dropLast() : rawLine
            guard line.starts(with: dataField) else { continue }
            line = line.dropFirst(dataField.count)
            if line.first == 0x20 { line = line.dropFirst() }
            if found { joined.append(0x0A) }
            joined.append(contentsOf: line)
            found = true
        }
        return found ? String(decoding: joined, as: UTF8.self) : nil
    }
}
